// Which links get a predictable name, and which altnames, the way udev's
// 99-default.link in Talos does it (spec §4.3): NamePolicy=keep kernel database
// onboard slot path mac, AlternativeNamesPolicy=database onboard slot path mac.
// Pure: the caller reads the kernel and sysfs.
//
// Where this differs from udev on purpose:
//  * `database` (ID_NET_NAME_FROM_DATABASE, from the hwdb) is skipped: netcfg has
//    no hwdb. Few NICs have an entry; those get their onboard/slot/path name.
//  * Only physical Ethernet links with a device in sysfs are considered (veths,
//    bonds… never; udev would also give a virtual link with a permanent MAC an
//    enx name).
//  * Altnames are added only to links netcfg renames (or renamed before, to
//    finish an interrupted rename); udev adds them to every link it sees.
import { IFF_UP } from '../../netlink/rtnetlink/constants.js';
import type { LinkMessage } from '../../netlink/rtnetlink/link.js';
import { DEFAULT_NAME_POLICY, keepCurrentName, netIdNames, predictableName, type NamePolicy, type NetIdNames } from '../../hw/net-id.js';
import type { LinkFacts, PciSlot } from '../../hw/sysfs.js';

export type NamePlan =
  /** Take the link down if it is up, rename it, restore its state, add altnames. */
  | { action: 'rename'; index: number; from: string; to: string; altNames: string[]; up: boolean }
  /** Only add altnames (a link netcfg renamed earlier, whose altnames are missing). */
  | { action: 'altnames'; index: number; name: string; altNames: string[] }
  /** Left as it is; `reason` says why (logged; `conflict` is a warning). */
  | { action: 'keep'; name: string; reason: string; conflict?: boolean };

export interface NameInput {
  link: LinkMessage;
  /** sysfs facts for this very link (same ifindex), undefined when there are none to trust. */
  facts: LinkFacts | undefined;
  /** A rename netcfg did earlier that produced this link's current name. */
  renamed?: { altNames: readonly string[] } | undefined;
}

export function isPhysical(link: LinkMessage): boolean {
  return link.type === 1 && !link.info?.kind;
}

/** Candidate names in AlternativeNamesPolicy order (onboard slot path mac), without duplicates. */
export function candidates(names: NetIdNames, policy: readonly NamePolicy[] = DEFAULT_NAME_POLICY): string[] {
  const out: string[] = [];
  for (const p of policy) {
    const name = names[p];
    if (name !== undefined && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * Plans for every physical link, in the order given. Names and altnames in use by
 * any link, and names planned for earlier links, are never handed out twice.
 */
export function planNames(inputs: readonly NameInput[], slots: readonly PciSlot[], policy: readonly NamePolicy[] = DEFAULT_NAME_POLICY): NamePlan[] {
  const taken = new Map<string, number>(); // name or altname → ifindex of its link
  for (const { link } of inputs) {
    taken.set(link.name, link.index);
    for (const alt of link.altNames) taken.set(alt, link.index);
  }
  const free = (name: string, index: number) => (taken.get(name) ?? index) === index;
  const plans: NamePlan[] = [];

  for (const { link, facts, renamed } of inputs) {
    if (!isPhysical(link)) continue;
    const keep = (reason: string, conflict = false) => plans.push({ action: 'keep', name: link.name, reason, ...(conflict ? { conflict } : {}) });
    if (facts === undefined) {
      keep('no sysfs facts for this link');
      continue;
    }
    if (facts.devicePath === undefined) {
      keep('no device in sysfs (a virtual link)');
      continue;
    }
    const names = netIdNames(facts, slots);
    const wanted = candidates(names, policy);
    const missingAlts = (name: string, list: readonly string[]) => list.filter((n) => n !== name && !link.altNames.includes(n) && free(n, link.index));

    const kept = keepCurrentName(facts.nameAssignType);
    if (kept !== undefined) {
      // a link netcfg renamed earlier: finish its altnames if some are missing (only
      // names this device still yields: the record may be about another device)
      const alts = renamed ? missingAlts(link.name, renamed.altNames.filter((n) => wanted.includes(n))) : [];
      if (alts.length > 0) {
        plans.push({ action: 'altnames', index: link.index, name: link.name, altNames: alts });
        for (const a of alts) taken.set(a, link.index);
      } else {
        keep(kept === 'keep' ? `name set by userspace (name_assign_type ${facts.nameAssignType})` : 'name the kernel marks predictable');
      }
      continue;
    }
    const to = predictableName(names, policy);
    if (to === undefined) {
      keep('no predictable name (onboard, slot, path or mac) for this device');
      continue;
    }
    if (to === link.name) {
      keep('already has its predictable name');
      continue;
    }
    if (!free(to, link.index)) {
      keep(`its predictable name ${to} is used by another link`, true);
      continue;
    }
    const altNames = missingAlts(to, wanted);
    plans.push({ action: 'rename', index: link.index, from: link.name, to, altNames, up: (link.flags & IFF_UP) !== 0 });
    taken.delete(link.name);
    taken.set(to, link.index);
    for (const a of altNames) taken.set(a, link.index);
  }
  return plans;
}
