// What a VIP owner does besides adding the address (Talos operator/vip/*.go):
// on Layer 2 nothing; on Equinix Metal and Hetzner Cloud the VIP is moved to
// this server through the provider's API when the election is won (Acquire),
// and given up when it is lost (Release).
import type { Logger } from '../../../log.js';
import { EquinixMetalHandler } from './equinix-metal.js';
import { HCloudHandler } from './hcloud.js';

export type { PlatformHandler, PlatformUrls } from './types.js';
import { DEFAULT_PLATFORM_URLS, type PlatformHandler, type PlatformUrls } from './types.js';
export { DEFAULT_PLATFORM_URLS } from './types.js';

/** The test-only overrides, from the environment. */
export function platformUrlsFromEnv(env: NodeJS.ProcessEnv): PlatformUrls {
  return {
    equinixMetalApi: env.NETCFG_TEST_EQUINIX_METAL_API || DEFAULT_PLATFORM_URLS.equinixMetalApi,
    equinixMetalMetadata: env.NETCFG_TEST_EQUINIX_METAL_METADATA || DEFAULT_PLATFORM_URLS.equinixMetalMetadata,
    hcloudApi: env.NETCFG_TEST_HCLOUD_API || DEFAULT_PLATFORM_URLS.hcloudApi,
    hcloudMetadata: env.NETCFG_TEST_HCLOUD_METADATA || DEFAULT_PLATFORM_URLS.hcloudMetadata,
  };
}

export function platformHandler(
  vip: { ip: string; equinixMetalToken?: string | undefined; hcloudToken?: string | undefined },
  urls: PlatformUrls,
  log: Logger,
): PlatformHandler | undefined {
  if (vip.equinixMetalToken) return new EquinixMetalHandler(vip.ip, vip.equinixMetalToken, urls, log);
  if (vip.hcloudToken) return new HCloudHandler(vip.ip, vip.hcloudToken, urls, log);
  return undefined;
}
