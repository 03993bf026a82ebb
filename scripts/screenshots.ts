/**
 * `npm run screenshots`: the README's pictures of the Slack message and the job summary.
 *
 * Runs the demos (`npm run demo` writes demo-output/slack-preview.html and job-summary-preview.html;
 * `npm run demo:incident` the incident card's pages), then opens each preview in headless Chromium and
 * saves a picture cropped to the message, the summary, the card or its thread: docs/slack-message.png,
 * docs/job-summary.png, docs/incident-card-firing.png, docs/incident-card-resolved.png and
 * docs/incident-thread.png.
 *
 * Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`), so nothing
 * listens on a port and no package is needed. The previews load nothing from the network, and Chromium
 * is started with its background networking off. Chromium is a tool for this script only: no test and
 * no CI job needs it.
 *
 * The pictures in docs/ were taken on Debian with the fonts-lato and fonts-noto-color-emoji packages,
 * so the message shows in Slack's typeface with colour emoji; without them the system's sans serif and
 * emoji font stand in.
 *
 * `--skip-demo` takes the previews already in demo-output/ instead of running the demo again.
 * `CHROMIUM=/path/to/chrome` picks the browser; otherwise the first of chromium, chromium-browser,
 * google-chrome-stable, google-chrome found on PATH.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, relative, resolve } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'

const root = resolve(import.meta.dirname, '..')
const outDir = join(root, 'demo-output')
const docsDir = join(root, 'docs')

interface Shot {
  preview: string
  png: string
  /** The element the picture is cropped to. */
  selector: string
  /** Viewport width in CSS pixels. */
  width: number
  /**
   * When this element exists, the picture ends a little below it and fades out there, so a long page
   * stays a picture one can take in at a glance.
   */
  cutBelow?: string
}

const shots: Shot[] = [
  {
    preview: join(outDir, 'slack-preview.html'),
    png: join(docsDir, 'slack-message.png'),
    selector: '.pane',
    width: 800,
  },
  {
    preview: join(outDir, 'job-summary-preview.html'),
    png: join(docsDir, 'job-summary.png'),
    selector: '.run',
    width: 1012,
    // The samples table's header and first three rows.
    cutBelow: '.markdown-body table:last-of-type tr:nth-child(4)',
  },
  // Bot-token mode (npm run demo:incident): the card while firing, the same card resolved, its thread.
  {
    preview: join(outDir, 'incident-firing.html'),
    png: join(docsDir, 'incident-card-firing.png'),
    selector: '.pane:not(.thread)',
    width: 800,
  },
  {
    preview: join(outDir, 'incident-resolved.html'),
    png: join(docsDir, 'incident-card-resolved.png'),
    selector: '.pane:not(.thread)',
    width: 800,
  },
  {
    preview: join(outDir, 'incident-resolved.html'),
    png: join(docsDir, 'incident-thread.png'),
    selector: '.pane.thread',
    width: 800,
    // The card and its first three replies: the opening window and the 5xx escalation's mention.
    cutBelow: '.pane.thread > div:nth-child(6)',
  },
]

/** Pixels per CSS pixel in the pictures: sharp on high-density screens, readable when scaled down. */
const SCALE = 2

const INSTALL_HELP = `Chromium (or Chrome) is needed to take the screenshots, and was not found.

  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y chromium
                  (Ubuntu's package may be chromium-browser; either name is found on PATH)
  Fedora:         sudo dnf install chromium
  macOS:          brew install --cask chromium, or use an installed Chrome:
                  CHROMIUM="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" npm run screenshots
  Elsewhere:      set CHROMIUM to the browser's executable.

Only this script needs it; the tests and CI do not.`

function findChromium(): string | undefined {
  const explicit = process.env.CHROMIUM
  if (explicit) return isExecutable(explicit) ? explicit : undefined
  const names = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) {
      const candidate = join(dir, name)
      if (dir && isExecutable(candidate)) return candidate
    }
  }
  return undefined
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The DevTools protocol over Chromium's pipe: JSON messages, each ended by a NUL byte. */
class DevTools {
  private nextId = 1
  private buffer = ''
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >()
  private readonly listeners: Array<{ method: string; sessionId: string; resolve: () => void }> = []

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8')
    output.on('data', (chunk: string) => {
      this.buffer += chunk
      let end = this.buffer.indexOf('\0')
      while (end !== -1) {
        this.receive(this.buffer.slice(0, end))
        this.buffer = this.buffer.slice(end + 1)
        end = this.buffer.indexOf('\0')
      }
    })
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as {
      id?: number
      method?: string
      sessionId?: string
      result?: unknown
      error?: { message: string }
    }
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id)
      this.pending.delete(message.id)
      if (message.error) waiter?.reject(new Error(message.error.message))
      else waiter?.resolve(message.result)
      return
    }
    for (const [index, listener] of this.listeners.entries()) {
      if (listener.method === message.method && listener.sessionId === message.sessionId) {
        this.listeners.splice(index, 1)
        listener.resolve()
        return
      }
    }
  }

  send<T>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`)
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
    })
  }

  once(method: string, sessionId: string): Promise<void> {
    return new Promise((resolve) => this.listeners.push({ method, sessionId, resolve }))
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Chromium took more than ${ms / 1000} s to ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function screenshot(devtools: DevTools, shot: Shot): Promise<{ width: number; height: number }> {
  const { targetId } = await devtools.send<{ targetId: string }>('Target.createTarget', {
    url: 'about:blank',
  })
  const { sessionId } = await devtools.send<{ sessionId: string }>('Target.attachToTarget', {
    targetId,
    flatten: true,
  })
  const inPage = <T>(method: string, params: object = {}) => devtools.send<T>(method, params, sessionId)
  await inPage('Page.enable')
  await inPage('Emulation.setDeviceMetricsOverride', {
    width: shot.width,
    height: 800,
    deviceScaleFactor: SCALE,
    mobile: false,
  })
  const loaded = devtools.once('Page.loadEventFired', sessionId)
  await inPage('Page.navigate', { url: pathToFileURL(shot.preview).href })
  await withTimeout(loaded, 30_000, `load ${relative(root, shot.preview)}`)
  const { result } = await inPage<{ result: { value?: string } }>('Runtime.evaluate', {
    expression: `document.fonts.ready.then(() => {
      const box = document.querySelector(${JSON.stringify(shot.selector)}).getBoundingClientRect()
      const cut = ${shot.cutBelow ? `document.querySelector(${JSON.stringify(shot.cutBelow)})` : 'null'}
      const bottom = cut ? Math.min(box.bottom, cut.getBoundingClientRect().bottom + 48) : box.bottom
      return JSON.stringify({ x: box.x, y: box.y, width: box.width, height: box.height, bottom })
    })`,
    awaitPromise: true,
    returnByValue: true,
  })
  const box = JSON.parse(result.value ?? 'null') as {
    x: number
    y: number
    width: number
    height: number
    bottom: number
  }
  const clip = {
    x: Math.floor(box.x),
    y: Math.floor(box.y),
    width: Math.ceil(box.width),
    height: Math.ceil(box.bottom - box.y),
    scale: 1,
  }
  if (clip.height < box.height) {
    // A fade into the page's background says the page goes on below the cut.
    await inPage('Runtime.evaluate', {
      expression: `(() => {
        const fade = document.createElement('div')
        const background = getComputedStyle(document.body).backgroundColor
        fade.style.cssText = 'position:absolute;left:${clip.x}px;top:${clip.y + clip.height - 120}px;width:${clip.width}px;height:120px;background:linear-gradient(to bottom, transparent, ' + background + ' 90%)'
        document.body.append(fade)
      })()`,
    })
  }
  const { data } = await inPage<{ data: string }>('Page.captureScreenshot', {
    format: 'png',
    clip,
    captureBeyondViewport: true,
  })
  writeFileSync(shot.png, Buffer.from(data, 'base64'))
  await devtools.send('Target.closeTarget', { targetId })
  return { width: clip.width * SCALE, height: clip.height * SCALE }
}

async function main(): Promise<void> {
  const chromium = findChromium()
  if (!chromium) {
    if (process.env.CHROMIUM) console.error(`CHROMIUM=${process.env.CHROMIUM} is not an executable file.\n`)
    console.error(INSTALL_HELP)
    process.exitCode = 1
    return
  }

  if (!process.argv.includes('--skip-demo')) {
    const started = Date.now()
    console.log('Running the demo for fresh previews…')
    try {
      for (const demo of ['demo', 'demo:incident']) {
        execFileSync('npm', ['run', '--silent', demo], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
        })
      }
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
      console.error(`${stdout}${stderr}`.trim())
      throw new Error('The demo failed (its output is above), so there are no fresh previews to take.')
    }
    for (const { preview } of shots) {
      if (!existsSync(preview) || statSync(preview).mtimeMs < started) {
        throw new Error(`The demo did not write ${relative(root, preview)}; run npm run demo to see why.`)
      }
    }
  }
  for (const { preview } of shots) {
    if (!existsSync(preview))
      throw new Error(`${relative(root, preview)} is missing; run npm run demo first.`)
  }
  mkdirSync(docsDir, { recursive: true })

  const profile = mkdtempSync(join(tmpdir(), 'insights-watch-chromium-'))
  const args = [
    '--headless',
    '--disable-gpu',
    '--hide-scrollbars',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--disable-default-apps',
    '--disable-domain-reliability',
    '--disable-quic',
    '--no-pings',
    '--metrics-recording-only',
    '--mute-audio',
    '--font-render-hinting=none',
    `--user-data-dir=${profile}`,
    '--remote-debugging-pipe',
  ]
  // Chromium's sandbox refuses to run as root (containers); the pages are our own local files.
  if (process.getuid?.() === 0) args.push('--no-sandbox')
  const browser: ChildProcess = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] })
  let log = ''
  browser.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk
  })
  const exited = new Promise<void>((resolve) => browser.once('exit', () => resolve()))
  try {
    const devtools = new DevTools(browser.stdio[3] as Writable, browser.stdio[4] as Readable)
    await withTimeout(devtools.send('Browser.getVersion'), 30_000, 'start')
    for (const shot of shots) {
      const size = await withTimeout(screenshot(devtools, shot), 60_000, 'take a screenshot')
      console.log(`${relative(process.cwd(), shot.png)} (${size.width}×${size.height})`)
    }
    await devtools.send('Browser.close').catch(() => undefined)
  } catch (error) {
    console.error(log.trim())
    throw error
  } finally {
    if (browser.exitCode === null) {
      await withTimeout(exited, 5_000, 'exit').catch(() => browser.kill())
    }
    rmSync(profile, { recursive: true, force: true })
  }
}

try {
  await main()
} catch (error) {
  console.error(`\nnpm run screenshots: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
