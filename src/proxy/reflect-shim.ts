/**
 * The few Reflect metadata functions that @peculiar/x509's dependency (tsyringe) checks for at load
 * time. No polyfill package is installed, so this module supplies a small one; it must be imported
 * before '@peculiar/x509'. It does nothing when a real polyfill is already present.
 */
type Key = string | symbol | undefined;
type MetaMap = Map<unknown, unknown>;

const store = new WeakMap<object, Map<Key, MetaMap>>();

function own(target: object, prop: Key, create: boolean): MetaMap | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let m = byProp.get(prop);
  if (!m && create) {
    m = new Map();
    byProp.set(prop, m);
  }
  return m;
}

interface ReflectMetadata {
  defineMetadata(key: unknown, value: unknown, target: object, prop?: Key): void;
  getOwnMetadata(key: unknown, target: object, prop?: Key): unknown;
  getMetadata(key: unknown, target: object, prop?: Key): unknown;
  hasMetadata(key: unknown, target: object, prop?: Key): boolean;
  metadata(key: unknown, value: unknown): (target: object, prop?: Key) => void;
}

const R = Reflect as unknown as Partial<ReflectMetadata>;

if (typeof R.getMetadata !== 'function') {
  const api: ReflectMetadata = {
    defineMetadata(key, value, target, prop) {
      own(target, prop, true)?.set(key, value);
    },
    getOwnMetadata(key, target, prop) {
      return own(target, prop, false)?.get(key);
    },
    getMetadata(key, target, prop) {
      for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
        const m = own(t, prop, false);
        if (m?.has(key)) return m.get(key);
      }
      return undefined;
    },
    hasMetadata(key, target, prop) {
      return api.getMetadata(key, target, prop) !== undefined;
    },
    metadata(key, value) {
      return (target, prop) => api.defineMetadata(key, value, target, prop);
    },
  };
  Object.assign(Reflect, api);
}

export {};
