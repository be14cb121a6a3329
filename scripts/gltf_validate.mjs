// Validates glTF/GLB files with the Khronos glTF validator (npm gltf-validator) and prints one
// JSON line per file:
//   {"file", "errors", "warnings", "infos", "khr_splat_attribute_errors", "other_errors", "messages"}
// gltf-validator 2.0.0-dev.3.10 (the latest release) predates the ratified KHR_gaussian_splatting
// extension, so it reports each of the extension's attribute semantics ("KHR_gaussian_splatting:*")
// as MESH_PRIMITIVE_INVALID_ATTRIBUTE. Those, and only those, are counted apart; every other error
// counts in "other_errors".
import fs from 'node:fs';
import path from 'node:path';
import validator from 'gltf-validator';

const KHR_ATTR = /\/attributes\/KHR_gaussian_splatting:[A-Z0-9_]+$/;

for (const file of process.argv.slice(2)) {
    const data = new Uint8Array(fs.readFileSync(file));
    const report = await validator.validateBytes(data, {
        uri: path.basename(file),
        maxIssues: 0, // unlimited
        externalResourceFunction: (uri) => Promise.reject(new Error(`external resource ${uri} not allowed`)),
    });
    const msgs = report.issues.messages;
    const errs = msgs.filter(m => m.severity === 0);
    const khr = errs.filter(m => m.code === 'MESH_PRIMITIVE_INVALID_ATTRIBUTE' && KHR_ATTR.test(m.pointer || ''));
    const other = errs.filter(m => !khr.includes(m));
    process.stdout.write(JSON.stringify({
        file,
        errors: report.issues.numErrors, warnings: report.issues.numWarnings, infos: report.issues.numInfos,
        khr_splat_attribute_errors: khr.length, other_errors: other.length,
        messages: other.concat(msgs.filter(m => m.severity === 1)).slice(0, 20)
            .map(m => ({ code: m.code, severity: m.severity, message: m.message, pointer: m.pointer })),
    }) + '\n');
}
