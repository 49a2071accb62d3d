/**
 * setupFiles entry: after each test file, whatever its outcome, the temporary directories it made
 * outside its tests are removed (see test/helpers/temp.ts). Registered before the file's own
 * hooks, so it runs after them (after-hooks run in reverse order): servers stop first.
 */
import { afterAll } from 'vitest';
import { removeFileScopedTempDirs } from '../helpers/temp.js';

afterAll(() => {
  removeFileScopedTempDirs();
});
