/** The CA folder on disk: modes, the .gitignore, the kept leaf key (stable SPKI), bad paths. */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa } from '../../../src/proxy/ca-store.js';
import { LeafIssuer, keySpkiSha256 } from '../../../src/proxy/certs.js';
import { spkiSha256 } from '../../../src/proxy/ca-store.js';
import { tempDir } from '../../helpers/temp.js';

const root = tempDir('ebp-castore-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function hasGit(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('loadOrCreateCa', () => {
  it('creates the folder 0700 (parents too), the keys 0600 and a .gitignore of *', async () => {
    const dir = join(root, 'a', 'b', 'certs');
    const ca = await loadOrCreateCa(dir);
    expect(ca.created).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(ca.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(ca.leafKeyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it.skipIf(!hasGit())('so `git add -A` in a project picks up no key', async () => {
    const repo = join(root, 'repo');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, 'app.js'), '1\n');
    await loadOrCreateCa(join(repo, 'certs'));
    execFileSync('git', ['-C', repo, 'add', '-A']);
    const staged = execFileSync('git', ['-C', repo, 'diff', '--cached', '--name-only'], {
      encoding: 'utf8',
    });
    expect(staged.trim().split('\n')).toEqual(['app.js']);
  });

  it('keeps the leaf key: the leaf SPKI hash is the same after a restart, and is the served one', async () => {
    const dir = join(root, 'stable');
    const first = await loadOrCreateCa(dir);
    const second = await loadOrCreateCa(dir);
    expect(second.created).toBe(false);
    expect(second.leafKeyPem).toBe(first.leafKeyPem);
    const issuer = await LeafIssuer.create(second, second.leafKeyPem);
    const leaf = await issuer.issue(['login.microsoftonline.com']);
    expect(spkiSha256(leaf.certPem)).toBe(keySpkiSha256(first.leafKeyPem));
    expect(new X509Certificate(leaf.certPem).checkIssued(new X509Certificate(second.certPem))).toBe(
      true,
    );
  });

  it('adds a leaf key to a CA folder from before it was kept, and tightens an open one', async () => {
    const dir = join(root, 'old');
    const ca = await loadOrCreateCa(dir);
    unlinkSync(ca.leafKeyPath);
    const again = await loadOrCreateCa(dir);
    expect(existsSync(again.leafKeyPath)).toBe(true);
    chmodSync(again.leafKeyPath, 0o644);
    await loadOrCreateCa(dir);
    expect(statSync(again.leafKeyPath).mode & 0o777).toBe(0o600);
  });

  it('refuses a leaf key that is not a usable RSA key, saying which file to remove', async () => {
    const dir = join(root, 'badleaf');
    const ca = await loadOrCreateCa(dir);
    writeFileSync(ca.leafKeyPath, 'garbage');
    await expect(loadOrCreateCa(dir)).rejects.toMatchObject({
      code: 'ERR_CA_LOAD',
      message: expect.stringMatching(/leaf-key\.pem: unusable leaf key .*remove it/) as string,
    });
  });

  it('writes no .gitignore into a folder that holds files of others', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    await loadOrCreateCa(dir);
    expect(existsSync(join(dir, '.gitignore'))).toBe(false);
  });

  it('answers a path that cannot be a folder with a one-line usage error', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(loadOrCreateCa(join(file, 'certs'))).rejects.toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringMatching(/ENOTDIR/) as string,
    });
    await expect(loadOrCreateCa(file)).rejects.toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringMatching(/is not a folder/) as string,
    });
  });
});
