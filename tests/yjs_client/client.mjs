// A stock yjs + y-websocket client, driven by tests/test_server_yjs.py.
//
// Usage: node client.mjs '<json>' with
//   {url: "ws://host:port/yjs", docId, token, append?: [event maps],
//    setInfo?: {field: value}, waitMs?: number, waitForEventId?: string,
//    timeoutMs?: number, announceSynced?: boolean}
// Connects, waits for sync, optionally appends events to the `events` array
// and/or sets `info` fields (one transaction each), waits `waitMs`, then prints
// one JSON line: {synced, info, events, closed: [{code, reason}]}. With
// announceSynced it first prints {"synced": true, "events": [...]} once synced.
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const opts = JSON.parse(process.argv[2])
const timeoutMs = opts.timeoutMs ?? 10000
const closed = []

const doc = new Y.Doc()
const provider = new WebsocketProvider(opts.url, opts.docId, doc, {
  WebSocketPolyfill: WebSocket,
  params: { token: opts.token },
  disableBc: true
})
provider.on('closed', (event) => closed.push({ code: event.code, reason: event.reason }))

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const report = (synced) => {
  const out = {
    synced,
    info: doc.getMap('info').toJSON(),
    events: doc.getArray('events').toJSON(),
    closed
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

const waitSynced = () => new Promise((resolve) => {
  if (provider.synced) return resolve(true)
  provider.on('sync', (state) => { if (state) resolve(true) })
  provider.on('closed', () => resolve(false))
  setTimeout(() => resolve(false), timeoutMs)
})

const hasEvent = (id) => doc.getArray('events').toJSON().some((e) => e && e.id === id)

const waitForEvent = (id) => new Promise((resolve) => {
  if (hasEvent(id)) return resolve(true)
  doc.on('update', () => { if (hasEvent(id)) resolve(true) })
  setTimeout(() => resolve(false), timeoutMs)
})

const main = async () => {
  const synced = await waitSynced()
  if (synced && opts.announceSynced) {
    const events = doc.getArray('events').toJSON()
    process.stdout.write(JSON.stringify({ synced, events }) + '\n')
  }
  if (synced) {
    if (opts.append && opts.append.length) {
      doc.transact(() => {
        doc.getArray('events').push(opts.append.map((event) => {
          const map = new Y.Map()
          for (const [key, value] of Object.entries(event)) map.set(key, value)
          return map
        }))
      })
    }
    if (opts.setInfo) {
      doc.transact(() => {
        const info = doc.getMap('info')
        for (const [key, value] of Object.entries(opts.setInfo)) info.set(key, value)
      })
    }
    if (opts.waitForEventId) await waitForEvent(opts.waitForEventId)
    else await sleep(opts.waitMs ?? 300)
  }
  report(synced)
  provider.destroy()
  process.exit(synced ? 0 : 2)
}

setTimeout(() => { report(false); process.exit(3) }, timeoutMs + 5000)
main()
