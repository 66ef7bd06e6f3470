// A parser of the Server-Sent Events framing, for streams read with fetch()
// (EventSource cannot send an Authorization header). Feed it text as it
// arrives; it calls back once per complete event.

export class SSEParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.reset();
    this.lastEventId = '';
  }

  reset() {
    this.data = [];
    this.event = '';
    this.id = null;
  }

  /** push takes the next chunk of text, which may split lines anywhere. */
  push(chunk) {
    this.buffer += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone \r at the very end may be the first half of \r\n.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // a comment, such as keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      default:
        // retry and unknown fields are ignored.
    }
  }

  dispatch() {
    if (this.id !== null) this.lastEventId = this.id;
    if (this.data.length === 0) {
      this.reset();
      return;
    }
    const ev = {
      id: this.id,
      event: this.event || 'message',
      data: this.data.join('\n'),
    };
    this.reset();
    this.onEvent(ev);
  }
}
