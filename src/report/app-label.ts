/**
 * How every report names an application: its display name (CONTRACT `name`, from sign-in logs or
 * the `app_displayname` its exchanges carried) with the client id beside it, or the client id
 * alone. Pure; the renderers escape the result for their format.
 */
import type { ApplicationRecord } from '../core/types.js';

/** An application's display name, when one is known (a report of an older version has none). */
export function appName(a: ApplicationRecord): string | null {
  return typeof a.name === 'string' && a.name !== '' ? a.name : null;
}

/** "Name (client id)" when the application has a display name, else the client id. */
export function appLabel(a: ApplicationRecord): string {
  const name = appName(a);
  return name === null ? a.clientId : `${name} (${a.clientId})`;
}
