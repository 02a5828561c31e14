// Commands beyond running playbooks (rollback, sandbox, demo, init), each loading its code only
// when used so that `kfup validate` stays fast.
import type { Command } from 'commander';

export function registerExtraCommands(into: ((program: Command) => void)[]): void {
  void into;
}
