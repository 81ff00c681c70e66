import { useState } from 'react';
import type { ProjectVersionJson } from '../../../../src/protocol/project-schemas.js';
import { uploadArchive } from './upload-archive.js';

/** One upload at a time with its progress (0…1, null when none) and its error. */
export function useArchiveUpload() {
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const upload = async (name: string, file: File): Promise<ProjectVersionJson | null> => {
    setError(null);
    setProgress(0);
    try {
      return await uploadArchive(name, file, setProgress);
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
      return null;
    } finally {
      setProgress(null);
    }
  };
  return { upload, progress, error, setError };
}
