// Equinix Metal: the VIP is an elastic IP of the project. Acquire removes every
// assignment of it, then assigns it to this device; Release removes the
// assignment made. Device and project IDs come from the metadata service and
// the API (device with its project), once.
import type { Logger } from '../../../log.js';
import type { PlatformHandler, PlatformUrls } from './types.js';
import { PlatformError, field, list, requestJson } from './http.js';

export class EquinixMetalHandler implements PlatformHandler {
  readonly name = 'equinixMetal' as const;
  private ids: { device: string; project: string } | undefined;
  private assignment = '';

  constructor(
    private readonly vip: string,
    private readonly token: string,
    private readonly urls: PlatformUrls,
    private readonly log: Logger,
  ) {}

  private get headers(): Record<string, string> {
    return { 'X-Auth-Token': this.token };
  }

  private async identify(): Promise<{ device: string; project: string }> {
    if (this.ids) return this.ids;
    const metadata = await requestJson('GET', this.urls.equinixMetalMetadata, { headers: {} });
    const device = field(metadata, 'id');
    if (typeof device !== 'string' || device === '') throw new PlatformError('Equinix Metal metadata has no device id');
    const d = await requestJson('GET', `${this.urls.equinixMetalApi}/devices/${encodeURIComponent(device)}?include=project`, { headers: this.headers });
    const project = field(d, 'project', 'id');
    if (typeof project !== 'string' || project === '') throw new PlatformError(`Equinix Metal device ${device} has no project`);
    this.ids = { device, project };
    return this.ids;
  }

  async acquire(): Promise<void> {
    const { device, project } = await this.identify();
    const ips = await requestJson('GET', `${this.urls.equinixMetalApi}/projects/${encodeURIComponent(project)}/ips`, { headers: this.headers });
    for (const ip of list(ips, 'ip_addresses')) {
      if (field(ip, 'address') !== this.vip) continue;
      for (const a of list(ip, 'assignments')) {
        const href = field(a, 'href');
        if (typeof href !== 'string') continue;
        const id = href.slice(href.lastIndexOf('/') + 1);
        await requestJson('DELETE', `${this.urls.equinixMetalApi}/ips/${encodeURIComponent(id)}`, { headers: this.headers });
        this.log.info({ vip: this.vip, assignment: id }, 'cleared previous Equinix Metal IP assignment');
      }
    }
    const assigned = await requestJson('POST', `${this.urls.equinixMetalApi}/devices/${encodeURIComponent(device)}/ips`, { headers: this.headers }, { address: this.vip });
    const id = field(assigned, 'id');
    if (typeof id !== 'string' || id === '') throw new PlatformError(`Equinix Metal assigned ${this.vip} but returned no assignment id`);
    this.assignment = id;
    this.log.info({ vip: this.vip, device, assignment: id }, 'assigned Equinix Metal IP');
  }

  async release(): Promise<void> {
    if (this.assignment === '') return;
    const id = this.assignment;
    await requestJson('DELETE', `${this.urls.equinixMetalApi}/ips/${encodeURIComponent(id)}`, { headers: this.headers });
    this.assignment = '';
    this.log.info({ vip: this.vip, assignment: id }, 'unassigned Equinix Metal IP');
  }
}
