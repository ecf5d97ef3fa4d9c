/** Stands for the address of the aios that takes the input, e.g. `${AIOS_API_URL}/local/webhooks/crm`. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder is meant literally, as written in input files.
export const API_URL_PLACEHOLDER = '${AIOS_API_URL}';

/**
 * Fills `${AIOS_API_URL}` in every string of an input with the address of the aios it goes to, so an
 * example input that names the local webhook stand-in works on whatever port aios listens. Any
 * other `${...}` is left as it is: input text may hold dollar signs of its own.
 */
export function expandApiUrl(value: unknown, apiUrl: string): unknown {
  if (typeof value === 'string') return value.split(API_URL_PLACEHOLDER).join(apiUrl.replace(/\/+$/, ''));
  if (Array.isArray(value)) return value.map((item) => expandApiUrl(item, apiUrl));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandApiUrl(v, apiUrl)]));
  return value;
}
