// A validator for the published HAR 1.2 JSON schema (the har-schema package, draft-06).
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

type AjvClass = new (options: Record<string, unknown>) => {
  addMetaSchema(schema: object): unknown;
  addSchema(schema: object): unknown;
  getSchema(id: string): ValidateFunction | undefined;
};

export function harValidator(): ValidateFunction {
  const Ajv = require('ajv') as AjvClass;
  const addFormats = require('ajv-formats') as (ajv: unknown) => unknown;
  const draft06 = require('ajv/dist/refs/json-schema-draft-06.json') as object;
  const schemas = require('har-schema') as Record<string, object>;
  // strict: false because har-schema uses keywords outside JSON Schema ("optional", "min").
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft06);
  addFormats(ajv);
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  const validate = ajv.getSchema('har.json#');
  if (!validate) throw new Error('har.json# not found in har-schema');
  return validate;
}
