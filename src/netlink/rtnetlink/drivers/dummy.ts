// dummy: no IFLA_INFO_DATA.
import { registerLinkKind } from '../drivers.js';

registerLinkKind<Record<string, never>>({ kind: 'dummy' });
