// Host DNS's fixed names, apart from its controller (which imports the resolv.conf writer's helpers).
export const HOST_DNS_STATUS_ID = 'hostdns';
/** Where host DNS listens (Talos: 127.0.0.53:53; /etc/resolv.conf then names only it). */
export const HOST_DNS_ADDRESS = '127.0.0.53';
