// Exiting without losing output: writes to a pipe are asynchronous in Node, and process.exit()
// drops whatever is still queued (a big --output json run would end mid-line). Wait for both
// streams to flush first.
const flush = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => {
    // a closed pipe (`kfup … | head`) takes nothing more: nothing to wait for
    if (stream.writableLength === 0 || stream.destroyed || stream.writableEnded) return resolve();
    stream.write('', () => resolve());
  });

export async function exit(code: number): Promise<never> {
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
