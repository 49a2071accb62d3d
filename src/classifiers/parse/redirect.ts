/** Redirect responses: the query and #fragment parameters of a Location header. */
import { type ParamsBuilder, parseUrlEncoded, setFirst, splitUrl } from './params.js';

/** Parameters of a Location value: its query first, then its fragment (first value wins). */
export function locationParams(location: string): ParamsBuilder {
  const { search, fragment } = splitUrl(location.trim());
  const out = parseUrlEncoded(search);
  if (fragment.length > 0) {
    const frag = parseUrlEncoded(fragment);
    for (const k in frag) {
      const v = frag[k];
      if (v !== undefined && Object.hasOwn(frag, k)) setFirst(out, k, v);
    }
  }
  return out;
}

/** True for statuses that carry a meaningful Location (redirects). */
export function isRedirectStatus(status: number | null): boolean {
  return status !== null && status >= 300 && status < 400;
}
