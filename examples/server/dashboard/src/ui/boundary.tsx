// A page that throws while rendering shows its error instead of a blank screen.
import { Component, type ReactNode } from 'react';
import { errorMessage } from '../api';
import { Icon } from './icons';
import { Empty } from './layout';

export class PageBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: string }> {
  state = { error: '' };

  static getDerivedStateFromError(e: unknown) {
    return { error: errorMessage(e) };
  }

  componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: '' });
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="page">
        <div className="card">
          <Empty title="This page failed to load">
            <span>{this.state.error}</span>
            <button className="btn btn-primary" onClick={() => window.location.reload()}>
              <Icon name="refresh" /> Reload
            </button>
          </Empty>
        </div>
      </div>
    );
  }
}
