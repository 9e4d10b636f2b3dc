// What every VIP platform handler is, and where the providers' APIs are.
export interface PlatformHandler {
  readonly name: 'equinixMetal' | 'hcloud';
  acquire(): Promise<void>;
  release(): Promise<void>;
}

/** Where the handlers' APIs are (overridable for tests only: see README, NETCFG_TEST_*). */
export interface PlatformUrls {
  equinixMetalApi: string;
  equinixMetalMetadata: string;
  hcloudApi: string;
  hcloudMetadata: string;
}

export const DEFAULT_PLATFORM_URLS: PlatformUrls = {
  equinixMetalApi: 'https://api.equinix.com/metal/v1',
  equinixMetalMetadata: 'https://metadata.platformequinix.com/metadata',
  hcloudApi: 'https://api.hetzner.cloud/v1',
  hcloudMetadata: 'http://169.254.169.254/hetzner/v1/metadata/instance-id',
};
