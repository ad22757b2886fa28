// Uploads one file to POST /api/compose/uploads with XMLHttpRequest, the
// browser API that reports upload progress (fetch does not), and can be
// aborted (the composer's Cancel).
export type UploadedFile = { id: string; filename: string; contentType: string; size: number };

export type UploadHandle = {
  promise: Promise<UploadedFile>;
  abort: () => void;
};

export class UploadAbortedError extends Error {}

export function uploadFile(file: File, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<UploadedFile>((resolve, reject) => {
    xhr.open("POST", "/api/compose/uploads");
    xhr.setRequestHeader("content-type", file.type || "application/octet-stream");
    xhr.setRequestHeader("x-filename", encodeURIComponent(file.name));
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status === 201) resolve(JSON.parse(xhr.responseText) as UploadedFile);
      else reject(new Error(xhr.responseText || `Upload failed (${xhr.status}).`));
    };
    xhr.onerror = () => reject(new Error("Upload failed: the connection was lost."));
    xhr.onabort = () => reject(new UploadAbortedError("Upload cancelled."));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}
