/** Image references as a puller splits them: repo:tag, repo@digest, or repo (meaning :latest). */
export interface ImageRef {
  repo: string;
  reference: string;
}

export function parseRef(image: string): ImageRef {
  const at = image.indexOf('@');
  if (at > 0) return { repo: image.slice(0, at), reference: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/'))
    return { repo: image.slice(0, colon), reference: image.slice(colon + 1) };
  return { repo: image, reference: 'latest' };
}
