// Loaded with --import into a measured process: on exit it appends "peak RSS (KiB) CPU (ms, user + system)"
// to $PGSHIFT_USAGE_FILE, so the bench can show what pgshift itself costs apart from the server's work.
import { appendFileSync } from 'node:fs';

const file = process.env.PGSHIFT_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
    appendFileSync(file, `${maxRSS} ${Math.round((userCPUTime + systemCPUTime) / 1000)}\n`);
  });
}
