// Downloads of files the API generates (Excel exports): fetched with the bearer token like every
// other call, then handed to the browser as a file with the name the server chose.

/** The file name of a Content-Disposition header (RFC 6266 `filename*` first). */
export function dispositionName(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : fallback;
}

/** Save the blob of an openapi-fetch call made with `parseAs: 'blob'`; returns the file name. */
export async function saveDownload(
  call: Promise<{ data?: Blob; response: Response }>,
  fallback: string,
): Promise<string> {
  const { data, response } = await call;
  const name = dispositionName(response.headers.get('Content-Disposition'), fallback);
  const url = URL.createObjectURL(data as Blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
