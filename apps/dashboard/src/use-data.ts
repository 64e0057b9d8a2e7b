import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface Data<T> {
  value: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
  /** Replaces the value with one an action answered, without asking again. */
  set: (value: T) => void;
}

/** Loads once per `key`, and again on `reload`; an error is shown, never thrown. */
export function useData<T>(load: () => Promise<T>, key: string): Data<T> {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then((loaded) => {
        if (!current) return;
        setValue(loaded);
        setError(undefined);
      })
      .catch((failure: unknown) => {
        if (current) setError(failure instanceof ApiError ? failure.message : 'could not load');
      })
      .finally(() => {
        if (current) setLoading(false);
      });
    return () => {
      current = false;
    };
  }, [key, round]);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  return { value, error, loading, reload, set: setValue };
}
