import { useEffect, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../../api';
import { Card, ErrorBox, Field, Loading, Spinner, toast, useLoad } from '../../ui';
import { STRATEGIES } from '../setup/choices';

export function StrategyCard() {
  const info = useLoad(() => api.strategy(), []);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    if (info.data) setValue(info.data.strategy);
  }, [info.data]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const res = await api.setStrategy(value);
      info.setData(res);
      toast(`Strategy set to ${value}`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const available = info.data?.available?.length ? info.data.available : STRATEGIES.map((s) => s.name);
  const desc = STRATEGIES.find((s) => s.name === value)?.desc;

  return (
    <Card title="Balancing strategy">
      {info.loading && !info.data ? (
        <Loading />
      ) : (
        <form onSubmit={save}>
          <ErrorBox error={info.error} />
          <Field label="Strategy" htmlFor="settings-strategy" hint={desc}>
            <select id="settings-strategy" data-testid="settings-strategy" value={value} onChange={(e) => setValue(e.target.value)}>
              {available.map((s) => (
                <option key={s} value={s}>
                  {STRATEGIES.find((x) => x.name === s)?.title ?? s} ({s})
                </option>
              ))}
            </select>
          </Field>
          <ErrorBox error={error} testid="settings-strategy-error" reveal />
          <button type="submit" className="btn btn-primary" disabled={busy || !value || value === info.data?.strategy} data-testid="settings-strategy-save">
            {busy && <Spinner small />} Save strategy
          </button>
        </form>
      )}
    </Card>
  );
}
