import * as z from 'zod';

/*
 * A playbook declares its input as a small subset of JSON Schema (draft 2020-12 keywords):
 * `type` string | number | integer | boolean | object | array, with `properties`, `required`,
 * `additionalProperties`, `items`, `format` (email, uri: http/https only), `pattern`, `minimum`,
 * `maximum`, `minLength`, `maxLength`, `minItems`, `maxItems`, `enum`, `default`, `title`,
 * `description`. The subset is parsed strictly, so a misspelt keyword or an unknown format is a load
 * error instead of a check that silently does nothing, and compiled once to zod with messages that
 * read well after a field name ("input.email: must be an email address").
 *
 * Why not zod's own `z.fromJSONSchema` (zod 4.6): it ignores keywords and formats it does not know
 * (a typo validates nothing), accepts any URL scheme for `uri` (`ftp://x`), calls itself
 * semi-experimental, and its messages are generic. This compiler is small and says exactly what it
 * accepts.
 */

interface Annotations {
  title?: string;
  description?: string;
}
export interface StringField extends Annotations {
  type: 'string';
  format?: 'email' | 'uri';
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  enum?: string[];
  default?: string;
}
export interface NumberField extends Annotations {
  type: 'number' | 'integer';
  minimum?: number;
  maximum?: number;
  enum?: number[];
  default?: number;
}
export interface BooleanField extends Annotations {
  type: 'boolean';
  default?: boolean;
}
export interface ArrayField extends Annotations {
  type: 'array';
  items?: InputField;
  minItems?: number;
  maxItems?: number;
  default?: unknown[];
}
export interface ObjectField extends Annotations {
  type: 'object';
  properties?: Record<string, InputField>;
  required?: string[];
  /** JSON Schema's default is true: fields not declared are kept. `false` refuses them. */
  additionalProperties?: boolean;
  default?: Record<string, unknown>;
}
export type InputField = StringField | NumberField | BooleanField | ArrayField | ObjectField;

/** JSON Schema patterns are ECMA-262 regular expressions, unanchored. */
const patternFlags = 'u';
const TYPES = 'string, number, integer, boolean, object or array';

/**
 * The schema of each field type, built on the first parse of an input schema rather than at import:
 * only what reads playbooks parses one, yet every function that imports the run record's schema
 * imports this module, and these schemas were a tenth of a small function's cold import.
 */
let fieldSchemas: ReturnType<typeof buildFieldSchemas> | undefined;

function buildFieldSchemas() {
  const count = z.number().int().nonnegative();
  const annotations = { title: z.string().optional(), description: z.string().optional() };

  const RegexSource = z.string().refine(
    (source) => {
      try {
        new RegExp(source, patternFlags);
        return true;
      } catch {
        return false;
      }
    },
    { error: 'is not a valid regular expression' },
  );

  /** Usable in `{{input.name}}` templates; `__proto__` would be an object's prototype, not a field. */
  const PropertyName = z
    .string()
    .regex(/^[A-Za-z_][\w-]*$/, { error: 'a property name is letters, digits, _ and -' })
    .refine((name) => name !== '__proto__', { error: '__proto__ cannot be a property name' });

  const StringFieldSchema = z
    .strictObject({
      type: z.literal('string'),
      ...annotations,
      format: z.enum(['email', 'uri'], { error: 'must be email or uri' }).optional(),
      pattern: RegexSource.optional(),
      minLength: count.optional(),
      maxLength: count.optional(),
      enum: z.array(z.string()).min(1).optional(),
      default: z.string().optional(),
    })
    .refine((f) => f.minLength === undefined || f.maxLength === undefined || f.minLength <= f.maxLength, {
      error: 'minLength is greater than maxLength',
      path: ['minLength'],
    });

  const NumberFieldSchema = z
    .strictObject({
      type: z.enum(['number', 'integer']),
      ...annotations,
      minimum: z.number().optional(),
      maximum: z.number().optional(),
      enum: z.array(z.number()).min(1).optional(),
      default: z.number().optional(),
    })
    .refine((f) => f.minimum === undefined || f.maximum === undefined || f.minimum <= f.maximum, {
      error: 'minimum is greater than maximum',
      path: ['minimum'],
    });

  const BooleanFieldSchema = z.strictObject({
    type: z.literal('boolean'),
    ...annotations,
    default: z.boolean().optional(),
  });

  const ArrayFieldSchema: z.ZodType<ArrayField> = z
    .strictObject({
      type: z.literal('array'),
      ...annotations,
      get items() {
        return InputFieldSchema.optional();
      },
      minItems: count.optional(),
      maxItems: count.optional(),
      default: z.array(z.unknown()).optional(),
    })
    .refine((f) => f.minItems === undefined || f.maxItems === undefined || f.minItems <= f.maxItems, {
      error: 'minItems is greater than maxItems',
      path: ['minItems'],
    });

  const ObjectFieldSchema: z.ZodType<ObjectField> = z
    .strictObject({
      type: z.literal('object'),
      ...annotations,
      get properties() {
        return z.record(PropertyName, InputFieldSchema).optional();
      },
      required: z.array(z.string().min(1)).optional(),
      additionalProperties: z.boolean().optional(),
      default: z.record(z.string(), z.unknown()).optional(),
    })
    .superRefine((f, ctx) => {
      for (const name of f.required ?? []) {
        if (!f.properties || !Object.hasOwn(f.properties, name)) {
          ctx.addIssue({
            code: 'custom',
            message: `required names ${name}, which is not in properties`,
            path: ['required'],
          });
        }
      }
    });

  return {
    string: StringFieldSchema,
    number: NumberFieldSchema,
    integer: NumberFieldSchema,
    boolean: BooleanFieldSchema,
    array: ArrayFieldSchema,
    object: ObjectFieldSchema,
  } as const;
}

/** One field of an input schema: picked by its `type`, so the errors are those of that type only. */
export const InputFieldSchema: z.ZodType<InputField> = z.unknown().transform((value, ctx) => {
  const type = (value as { type?: unknown } | null)?.type;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be an object with a type' });
    return z.NEVER;
  }
  fieldSchemas ??= buildFieldSchemas();
  if (typeof type !== 'string' || !Object.hasOwn(fieldSchemas, type)) {
    ctx.addIssue({ code: 'custom', message: `must be ${TYPES}`, path: ['type'] });
    return z.NEVER;
  }
  const parsed = (fieldSchemas[type as keyof typeof fieldSchemas] as z.ZodType<InputField>).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path });
  return z.NEVER;
}) as unknown as z.ZodType<InputField>;

/** What a playbook's `inputSchema` must be: an object schema at the top. */
export const InputSchemaSchema: z.ZodType<ObjectField> = InputFieldSchema.refine(
  (field) => field.type === 'object',
  { error: 'the input schema must have type object' },
) as z.ZodType<ObjectField>;

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * A number or boolean given as text ("12", "true": a form, a query string, `aios run --set`) is
 * taken as that number or boolean; any other text is left for the type check to refuse.
 */
const fromText = (type: 'number' | 'boolean') => (value: unknown) => {
  if (typeof value !== 'string') return value;
  if (type === 'number') return NUMERIC.test(value) ? Number(value) : value;
  return value === 'true' ? true : value === 'false' ? false : value;
};

/** "is required" when absent, "must be <what>" otherwise. */
const typeError = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${what}`;

const oneOf = <T>(values: readonly T[]) => ({
  check: (value: T) => values.includes(value),
  params: { error: `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}` },
});

function compileString(field: StringField): z.ZodType {
  let schema = z.string({ error: typeError('a string') });
  if (field.format === 'email') schema = schema.check(z.email({ error: 'must be an email address' }));
  if (field.format === 'uri')
    schema = schema.check(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }));
  if (field.minLength !== undefined)
    schema = schema.min(field.minLength, { error: `must be at least ${field.minLength} characters` });
  if (field.maxLength !== undefined)
    schema = schema.max(field.maxLength, { error: `must be at most ${field.maxLength} characters` });
  if (field.pattern !== undefined)
    schema = schema.regex(new RegExp(field.pattern, patternFlags), {
      error: `must match the pattern ${field.pattern}`,
    });
  if (field.enum) {
    const { check, params } = oneOf(field.enum);
    return schema.refine(check, params);
  }
  return schema;
}

function compileNumber(field: NumberField): z.ZodType {
  let schema = z.number({ error: typeError(field.type === 'integer' ? 'a whole number' : 'a number') });
  if (field.type === 'integer') schema = schema.int({ error: 'must be a whole number' });
  if (field.minimum !== undefined)
    schema = schema.min(field.minimum, { error: `must be at least ${field.minimum}` });
  if (field.maximum !== undefined)
    schema = schema.max(field.maximum, { error: `must be at most ${field.maximum}` });
  const checked = field.enum ? schema.refine(oneOf(field.enum).check, oneOf(field.enum).params) : schema;
  return z.preprocess(fromText('number'), checked);
}

function compileArray(field: ArrayField): z.ZodType {
  let schema = z.array(field.items ? compileField(field.items) : z.unknown(), { error: typeError('a list') });
  if (field.minItems !== undefined)
    schema = schema.min(field.minItems, { error: `must have at least ${field.minItems} items` });
  if (field.maxItems !== undefined)
    schema = schema.max(field.maxItems, { error: `must have at most ${field.maxItems} items` });
  return schema;
}

function compileObject(field: ObjectField): z.ZodType {
  const required = new Set(field.required ?? []);
  const shape: Record<string, z.ZodType> = {};
  for (const [name, property] of Object.entries(field.properties ?? {})) {
    const compiled = compileField(property);
    shape[name] = required.has(name) || property.default !== undefined ? compiled : compiled.optional();
  }
  const error = typeError('an object');
  return field.additionalProperties === false
    ? z.strictObject(shape, { error })
    : z.looseObject(shape, { error });
}

function compileField(field: InputField): z.ZodType {
  const compiled = (() => {
    switch (field.type) {
      case 'string':
        return compileString(field);
      case 'number':
      case 'integer':
        return compileNumber(field);
      case 'boolean':
        return z.preprocess(fromText('boolean'), z.boolean({ error: typeError('true or false') }));
      case 'array':
        return compileArray(field);
      case 'object':
        return compileObject(field);
    }
  })();
  if (field.default === undefined) return compiled;
  // A default that its own field refuses would only fail at run time: refuse the schema instead.
  const checked = compiled.safeParse(field.default);
  if (!checked.success)
    throw new InputSchemaError(
      `default ${JSON.stringify(field.default)} ${checked.error.issues[0]?.message}`,
    );
  return compiled.default(checked.data as never);
}

/** The schema compiles to nothing sensible (e.g. a default its own field refuses). */
export class InputSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputSchemaError';
  }
}

/** Compiles a parsed input schema to the zod schema that checks (and types) a run's input. */
export function compileInputSchema(schema: ObjectField): z.ZodType<Record<string, unknown>> {
  return compileObject(schema) as z.ZodType<Record<string, unknown>>;
}

/**
 * The deprecated `inputRequired: [names]` of older playbooks: each name must be present, of any
 * type; everything else is kept.
 */
export function compileRequiredNames(names: readonly string[]): z.ZodType<Record<string, unknown>> {
  const present = z.unknown().refine((value) => value !== undefined, { error: 'is required' });
  return z.looseObject(Object.fromEntries(names.map((name) => [name, present])), {
    error: typeError('an object'),
  }) as z.ZodType<Record<string, unknown>>;
}
