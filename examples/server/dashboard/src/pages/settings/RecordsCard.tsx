import { api } from '../../api';
import { fmtInt } from '../../format';
import { Card, ErrorBox, Icon, Loading, useLoad } from '../../ui';

export function RecordsCard() {
  const st = useLoad(() => api.status(), [], 5000);
  const r = st.data?.records;
  const counter = (label: string, value: number | undefined, testid: string, tone: 'ok' | 'bad', hint: string) => (
    <div className={'counter' + (tone === 'bad' && value ? ' counter-bad' : '')} title={hint}>
      <div className="counter-value" data-testid={testid}>
        {value === undefined ? '—' : fmtInt(value)}
      </div>
      <div className="counter-label">{label}</div>
    </div>
  );
  return (
    <Card
      title="Usage records"
      testid="records-card"
      actions={
        <button className="btn btn-sm btn-icon" onClick={st.reload} title="Refresh" aria-label="Refresh" data-testid="records-refresh">
          <Icon name="refresh" />
        </button>
      }
    >
      <p className="muted small card-intro">What the background writer did with the usage records since the server started.</p>
      <ErrorBox error={st.error} />
      {st.loading && !st.data ? (
        <Loading />
      ) : (
        <>
          <div className="counters">
            {counter('written', r?.written, 'records-written', 'ok', 'Saved to the database')}
            {counter('dropped', r?.dropped, 'records-dropped', 'bad', 'Not queued: the queue was full')}
            {counter('failed', r?.failed, 'records-failed', 'bad', 'Queued, but the database refused them')}
          </div>
          {r && (r.dropped > 0 || r.failed > 0) && (
            <div className="alert alert-warn">
              <Icon name="alert" />
              <span>
                Some requests are missing from analytics and the request log
                {r.failed > 0 ? ': the database refused records; see the server log.' : ': the record queue overflowed under load.'}
              </span>
            </div>
          )}
        </>
      )}
    </Card>
  );
}
