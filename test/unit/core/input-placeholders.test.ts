import { describe, expect, it } from 'vitest';
import {
  expandApiUrl,
  API_URL_PLACEHOLDER as PLACEHOLDER,
} from '../../../functions/core/input-placeholders.ts';

describe('the AIOS_API_URL placeholder in an input', () => {
  it('becomes the address of the aios it goes to, in every string at any depth', () => {
    expect(
      expandApiUrl(
        {
          hook: `${PLACEHOLDER}/local/webhooks/crm`,
          list: [PLACEHOLDER, 1],
          nested: { a: `x ${PLACEHOLDER} y` },
        },
        'http://127.0.0.1:18123/',
      ),
    ).toEqual({
      hook: 'http://127.0.0.1:18123/local/webhooks/crm',
      list: ['http://127.0.0.1:18123', 1],
      nested: { a: 'x http://127.0.0.1:18123 y' },
    });
  });

  it('leaves any other placeholder, and values that are not text, as they are', () => {
    const other = '$' + '{PRICE}';
    expect(expandApiUrl({ price: other, n: 3, ok: true, none: null }, 'http://h')).toEqual({
      price: other,
      n: 3,
      ok: true,
      none: null,
    });
  });
});
