/** Request names and tags never carry a signature, a query or user-info. */
import { describe, expect, it } from 'vitest';
import { SAFE_SYSTEM_TAGS, safeUrl, withSafeNames } from '../../../lib/k6/vu/naming';
import { fakeHttp } from './fake-http';

describe('safe request names', () => {
  it('strips query, fragment and user-info', () => {
    expect(safeUrl('https://s.blob.core.windows.net/c/b?sv=1&sig=abc#x')).toBe(
      'https://s.blob.core.windows.net/c/b',
    );
    expect(safeUrl('http://user:pw@reg:5000/v2/?q')).toBe('http://reg:5000/v2/');
    expect(safeUrl('http://reg/v2/a/blobs/uploads/u?_state=S%3D')).toBe('http://reg/v2/a/blobs/uploads/u');
  });

  it('names every request, in request() and batch(), and makes a given name safe too', () => {
    const http = fakeHttp(() => ({ status: 200 }));
    const h = withSafeNames(http);
    h.request('GET', 'http://reg/v2/?a=b', null, { tags: { step: 'ping' } });
    h.request('GET', 'http://reg/x', null, { tags: { name: 'http://s/y?sig=1' } });
    h.batch([{ method: 'GET', url: 'http://s/z?sig=2' }]);
    expect(http.log.map((r) => r.params.tags)).toEqual([
      { step: 'ping', name: 'http://reg/v2/' },
      { name: 'http://s/y' },
      { name: 'http://s/z' },
    ]);
  });

  it('leaves k6 url tag out of the system tags', () => {
    expect(SAFE_SYSTEM_TAGS).not.toContain('url');
    expect(SAFE_SYSTEM_TAGS).toContain('name');
  });
});
