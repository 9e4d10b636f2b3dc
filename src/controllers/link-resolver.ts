// Talos' LinkResolver: config may name a link by its name, its alias
// (IFLA_IFALIAS) or one of its altnames (IFLA_ALT_IFNAME, e.g. the predictable
// names netcfg or udev added). One rule for every controller that looks links up:
//  * a name wins over an alias or altname of another link;
//  * among aliases and altnames, the first link (in kernel order) that carries it wins;
//  * logical links (bond, VLAN… that netcfg creates and deletes) match by exact name only.

/** What the resolver needs of a link: kernel messages and LinkStatus both have it. */
export interface NamedLink {
  name: string;
  alias?: string | undefined;
  altNames: readonly string[];
}

export class LinkResolver<L extends NamedLink> {
  private readonly byName = new Map<string, L>();
  private readonly byOtherName = new Map<string, L>();

  constructor(readonly links: readonly L[]) {
    for (const l of links) this.byName.set(l.name, l);
    for (const l of links) {
      for (const alt of l.altNames) if (!this.byOtherName.has(alt)) this.byOtherName.set(alt, l);
      if (l.alias && !this.byOtherName.has(l.alias)) this.byOtherName.set(l.alias, l);
    }
  }

  /** Exact name only (logical links). */
  exact(name: string): L | undefined {
    return this.byName.get(name);
  }

  /** Name, then altname or alias (physical links and references from config). */
  resolve(name: string): L | undefined {
    return this.byName.get(name) ?? this.byOtherName.get(name);
  }
}

/** Whether `name` is the link's name, alias or one of its altnames. */
export function hasName(link: NamedLink, name: string): boolean {
  return link.name === name || link.alias === name || link.altNames.includes(name);
}

/** A link as its status shows it, with its name (the status ID). */
export interface StatusLink extends NamedLink {
  index: number;
}

/** Links by name, alias and altname (the resolver's rules), and by ifindex, from their statuses. */
export class StatusLinks<L extends StatusLink = StatusLink> extends LinkResolver<L> {
  private readonly byIndex = new Map<number, L>();

  constructor(links: readonly L[]) {
    super(links);
    for (const l of links) this.byIndex.set(l.index, l);
  }

  index(i: number): L | undefined {
    return this.byIndex.get(i);
  }

  nameOf(index: number): string {
    return this.byIndex.get(index)?.name ?? '';
  }
}
