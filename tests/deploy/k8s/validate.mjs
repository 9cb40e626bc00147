// Validates every object of multi-document YAML files against the Kubernetes
// and prometheus-operator schemas of the npm packages kubernetes-models and
// @kubernetes-models/prometheus-operator: the model class of each apiVersion
// and kind is instantiated and .validate()d. An object of a kind neither
// package knows is an error, so nothing passes unchecked.
//
//   node validate.mjs --node_modules DIR FILE.yaml...
//
// The packages are installed (npm ci, from package-lock.json) under the build
// tree, not beside this script, hence --node_modules.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const at = args.indexOf("--node_modules");
if (at < 0 || at + 1 >= args.length) {
  console.error("usage: node validate.mjs --node_modules DIR FILE.yaml...");
  process.exit(2);
}
const nodeModules = path.resolve(args[at + 1]);
const files = args.filter((_, i) => i !== at && i !== at + 1);
const require = createRequire(path.join(nodeModules, "noop.js"));
const YAML = require("yaml");

// apiVersion -> module exporting one class per kind.
function modelModule(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return `@kubernetes-models/prometheus-operator/${group}/${version}`;
  }
  return group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
}

let failures = 0;
let checked = 0;
for (const file of files) {
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      console.error(`${file}: YAML error: ${doc.errors[0].message}`);
      failures++;
      continue;
    }
    const object = doc.toJS();
    if (object === null) continue;  // an empty document
    // kustomize's secretGenerator folds long base64 values into lines of 70
    // characters. The API server decodes them with Go's encoding/base64,
    // which ignores \r and \n, so they are valid; the schema's "byte" format
    // is stricter. Compare what the API server would see.
    if (object.apiVersion === "v1" && object.kind === "Secret" && object.data) {
      for (const key of Object.keys(object.data)) {
        if (typeof object.data[key] === "string") object.data[key] = object.data[key].replace(/[\r\n]/g, "");
      }
    }
    const name = `${file}: ${object.apiVersion} ${object.kind} ${object.metadata?.name}`;
    let Model;
    try {
      Model = require(modelModule(String(object.apiVersion)))[object.kind];
    } catch (error) {
      Model = undefined;
    }
    if (typeof Model !== "function") {
      console.error(`${name}: no schema for this apiVersion and kind`);
      failures++;
      continue;
    }
    try {
      new Model(object).validate();
      checked++;
      console.log(`ok   ${name}`);
    } catch (error) {
      failures++;
      console.error(`FAIL ${name}: ${error.message}`);
      if (error.errors) console.error(JSON.stringify(error.errors, null, 2));
    }
  }
}
console.log(`${checked} objects valid, ${failures} invalid`);
process.exit(failures || checked === 0 ? 1 : 0);
