// Bounded work on any input (issue 14): only regular files are read, under a size cap that the
// error names with how to raise it; a FIFO, a device or a directory is refused before a byte is
// read (a FIFO would block forever, /dev/zero never ends). Also: a TaskError naming its
// parameter is invalid input at that parameter, and --tags naming no task's tag is refused.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { TaskError } from '../../src/modules/kit/task-error.js';
import { UserError, UserErrors } from '../../src/runner/errors.js';
import { load, runPlaybook } from '../../src/runner/index.js';
import { loadPlaybook } from '../../src/runner/load/playbook.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../src/runner/load/source.js';
import { failureOf } from '../../src/runner/engine/outcome.js';
import type { Reporter } from '../../src/runner/report/events.js';

const dir = mkdtempSync(join(tmpdir(), 'kfup-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.KFUP_MAX_FILE_BYTES;
});

const PLAYBOOK = 'name: x\ntasks:\n  - name: a\n    assert: {that: [true]}\n';
const silent: Reporter = { handle() {} };

async function loadError(req: Parameters<typeof load>[0]): Promise<UserError> {
  try {
    await load(req);
  } catch (e) {
    if (e instanceof UserErrors) return e.errors[0];
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('loading did not fail');
}

function fifo(name: string): string | undefined {
  const p = join(dir, name);
  try {
    execFileSync('mkfifo', [p]);
    return p;
  } catch {
    return undefined;
  }
}

describe('only regular files are read', () => {
  it('a FIFO as the playbook is refused at once (it would block forever)', async (t) => {
    const p = fifo('pb.fifo');
    if (!p) return t.skip('mkfifo is not available');
    const e = await loadError({ playbook: p, registry: builtinTasks });
    expect(e.message).toMatch(/named pipe \(FIFO\), not a regular file/);
    expect(e.exitCode).toBe(2);
  });

  it('a FIFO as --vars-file and as --env is refused', async (t) => {
    const v = fifo('vars.fifo');
    if (!v) return t.skip('mkfifo is not available');
    const pb = join(dir, 'ok.yaml');
    writeFileSync(pb, PLAYBOOK);
    expect((await loadError({ playbook: pb, varsFiles: [v], registry: builtinTasks })).message).toMatch(/FIFO/);
    expect((await loadError({ playbook: pb, env: v, registry: builtinTasks })).message).toMatch(/FIFO/);
  });

  it('/dev/zero (a device, also through a symlink) is refused before it is read', async () => {
    expect((await loadError({ playbook: '/dev/zero', registry: builtinTasks })).message).toMatch(/it is a device, not a regular file/);
    const link = join(dir, 'zero.yaml');
    symlinkSync('/dev/zero', link);
    expect((await loadError({ playbook: link, registry: builtinTasks })).message).toMatch(/a device/);
  });

  it('a directory is refused', async () => {
    mkdirSync(join(dir, 'adir.yaml'));
    expect((await loadError({ playbook: join(dir, 'adir.yaml'), registry: builtinTasks })).message).toMatch(/a directory, not a regular file/);
  });
});

describe('a size cap', () => {
  it('a file over the cap is refused, naming the cap and KFUP_MAX_FILE_BYTES', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, PLAYBOOK + `# ${'x'.repeat(2000)}\n`);
    process.env.KFUP_MAX_FILE_BYTES = '1000';
    const e = await loadError({ playbook: big, registry: builtinTasks });
    expect(e.message).toContain('larger than 1000 bytes');
    expect(e.hint).toContain('KFUP_MAX_FILE_BYTES');
    // raising it lets the same file load
    process.env.KFUP_MAX_FILE_BYTES = '100000';
    await expect(load({ playbook: big, registry: builtinTasks })).resolves.toBeDefined();
  });

  it('the default cap (4 MiB) refuses a larger playbook without reading it whole', async () => {
    const big = join(dir, 'huge.yaml');
    writeFileSync(big, PLAYBOOK + `# ${'x'.repeat(DEFAULT_MAX_FILE_BYTES)}\n`);
    const e = await loadError({ playbook: big, registry: builtinTasks });
    expect(e.message).toContain(`larger than ${DEFAULT_MAX_FILE_BYTES} bytes`);
  });
});

describe('a TaskError that names its parameter', () => {
  it('is invalid input (exit 2), never retried, at that parameter\'s file:line:col', () => {
    const pb = join(dir, 'param.yaml');
    writeFileSync(pb, 'name: x\ntasks:\n  - name: adopt\n    ack-adopt:\n      cluster: blue\n      apply_to: green\n');
    const playbook = loadPlaybook(pb, builtinTasks.names());
    const t = playbook.tasks[0];
    const o = failureOf(playbook, new TaskError('green has no ACK controller', { param: 'apply_to', hint: 'install ACK first' }), t, t.type!);
    expect(o).toMatchObject({ status: 'failed', invalid: true, retryable: false, where: `${pb}:6:17`, hint: 'install ACK first' });
    expect(o.message).toContain('parameter "apply_to"');
    // without a parameter, it stays a task failure
    expect(failureOf(playbook, new TaskError('boom'), t, t.type!).invalid).toBeFalsy();
  });
});

describe('--tags', () => {
  it('a tag no task carries is an error listing the known ones', async () => {
    const pb = join(dir, 'tags.yaml');
    writeFileSync(pb, 'name: x\ntasks:\n  - name: a\n    tags: [backup]\n    assert: {that: [true]}\n  - name: b\n    tags: [cutover]\n    assert: {that: [true]}\n');
    const run = (tags: string[], skipTags?: string[]) => runPlaybook({ playbook: pb, registry: builtinTasks, mode: 'dry-run', tags, skipTags, reporter: silent, stateDir: join(dir, '.kfup') });
    await expect(run(['bakup'])).rejects.toThrow(/--tags: no task has the tag "bakup"/);
    await expect(run(['bakup'])).rejects.toMatchObject({ hint: expect.stringContaining('did you mean "backup"? the playbook\'s tags: backup, cutover') as unknown });
    await expect(run([], ['nope'])).rejects.toThrow(/--skip-tags: no task has the tag "nope"/);
    await expect(run(['backup'])).resolves.toMatchObject({ failed: false });
  });
});
