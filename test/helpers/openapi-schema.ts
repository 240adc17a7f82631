/**
 * A structural validator for the OpenAPI v3 subset Kubernetes CRDs use (controller-gen's
 * output): type, properties, required, items, additionalProperties, enum, pattern,
 * min/maxLength, minimum, format int32/int64, anyOf, x-kubernetes-int-or-string and
 * x-kubernetes-preserve-unknown-fields. Stricter than the API server's pruning: an unknown
 * field is an error (as `kubectl apply --validate=strict` reports it), so a typo in a field
 * name cannot pass. Returns every problem as "path: message".
 */
export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  additionalProperties?: boolean | OpenApiSchema;
  enum?: unknown[];
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  format?: string;
  anyOf?: OpenApiSchema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const KEYWORDS_KNOWN = new Set([
  'type',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'enum',
  'pattern',
  'maxLength',
  'minLength',
  'minimum',
  'format',
  'anyOf',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  // Annotations that constrain nothing the validator must check.
  'description',
  'default',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
]);

/** Keywords of `schema` (anywhere in it) that this validator does not implement. */
export function unsupportedKeywords(schema: OpenApiSchema): string[] {
  const out = new Set<string>();
  const walk = (s: OpenApiSchema) => {
    for (const k of Object.keys(s)) if (!KEYWORDS_KNOWN.has(k)) out.add(k);
    for (const p of Object.values(s.properties ?? {})) walk(p);
    if (s.items) walk(s.items);
    if (typeof s.additionalProperties === 'object') walk(s.additionalProperties);
    for (const a of s.anyOf ?? []) walk(a);
  };
  walk(schema);
  return [...out];
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

export function validate(schema: OpenApiSchema, value: unknown, path = ''): string[] {
  const at = path || '<root>';
  if (schema['x-kubernetes-int-or-string']) {
    if (!(typeof value === 'string' || Number.isInteger(value)))
      return [`${at}: expected an integer or a string, got ${typeOf(value)}`];
  } else if (schema.type) {
    const t = typeOf(value);
    const ok = schema.type === 'number' ? typeof value === 'number' : t === schema.type;
    if (!ok) return [`${at}: expected ${schema.type}, got ${t}`];
  }
  const errors: string[] = [];
  if (schema.anyOf && !schema.anyOf.some((s) => validate(s, value, path).length === 0))
    errors.push(`${at}: matches none of anyOf`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
      errors.push(`${at}: does not match ${schema.pattern}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      errors.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push(`${at}: shorter than ${schema.minLength}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
    if (schema.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31))
      errors.push(`${at}: not an int32`);
  }
  if (Array.isArray(value) && schema.items)
    for (const [i, v] of value.entries()) errors.push(...validate(schema.items, v, `${path}[${i}]`));
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? [])
      if (!(r in obj)) errors.push(`${path ? `${path}.` : ''}${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = `${path ? `${path}.` : ''}${k}`;
      const prop = schema.properties?.[k];
      if (prop) errors.push(...validate(prop, v, sub));
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(schema.additionalProperties, v, sub));
      else if (
        schema.properties &&
        schema.additionalProperties !== true &&
        !schema['x-kubernetes-preserve-unknown-fields']
      )
        errors.push(`${sub}: unknown field`);
    }
  }
  return errors;
}
