// Reads splat files with @playcanvas/splat-transform and prints, per file, one JSON line:
// {"file": ..., "count": N, "columns": [...], "first": {x, y, z, f_dc_0, opacity, ...}, "means": {column: mean},
//  "head": {x: [...], y: [...], z: [...]} (the first 32 rows, in file order)} or {"file", "error"}.
// Used by tests/exporters/test_export_validators.py to check that a second, independent reader agrees with ours.
import fs from 'node:fs';
import path from 'node:path';
import { readFile, getInputFormat, MemoryReadFileSystem, logger } from '@playcanvas/splat-transform';

try { logger.setQuiet?.(true); } catch (e) { /* older versions have no quiet switch */ }

for (const file of process.argv.slice(2)) {
    try {
        const name = path.basename(file);
        const mem = new MemoryReadFileSystem();
        mem.set(name, new Uint8Array(fs.readFileSync(file)));
        const tables = await readFile({ filename: name, inputFormat: getInputFormat(name), options: {}, params: [], fileSystem: mem });
        const t = tables[0];
        const first = {};
        for (const c of t.columns) first[c.name] = t.numRows ? c.data[0] : null;
        const means = {};
        for (const c of t.columns) {
            let s = 0;
            for (let i = 0; i < t.numRows; i++) s += c.data[i];
            means[c.name] = t.numRows ? s / t.numRows : null;
        }
        const head = {};
        for (const c of t.columns) {
            if (['x', 'y', 'z'].includes(c.name)) head[c.name] = Array.from(c.data.slice(0, 32));
        }
        process.stdout.write(JSON.stringify({ file, count: t.numRows, columns: t.columns.map(c => c.name), first, means, head }) + '\n');
    } catch (err) {
        process.stdout.write(JSON.stringify({ file, error: String(err && err.message || err) }) + '\n');
    }
}
