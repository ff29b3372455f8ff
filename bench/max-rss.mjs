// Loaded with --import into a measured process: on exit it appends its peak RSS (KiB) to $PGSHIFT_RSS_FILE.
import { appendFileSync } from 'node:fs';

const file = process.env.PGSHIFT_RSS_FILE;
if (file) process.on('exit', () => appendFileSync(file, `${process.resourceUsage().maxRSS}\n`));
