export const id = 414;
export const ids = [414];
export const modules = {

/***/ 99414:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  createActionsCacheStore: () => (/* binding */ createActionsCacheStore),
  runKeyFor: () => (/* binding */ runKeyFor)
});

// UNUSED EXPORTS: STATE_FILE, savedAtOfKey

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/cache.js + 1 modules
var cache = __webpack_require__(38682);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/internal/cacheHttpClient.js + 309 modules
var cacheHttpClient = __webpack_require__(11841);
// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/internal/cacheUtils.js + 18 modules
var cacheUtils = __webpack_require__(26378);
// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/internal/config.js
var config = __webpack_require__(65253);
// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/internal/shared/cacheTwirpClient.js + 5 modules
var cacheTwirpClient = __webpack_require__(99513);
;// CONCATENATED MODULE: ./src/state/cache-lookup.ts
/**
 * Which Actions cache entry a restore would find, asked of the cache service directly, so that "no
 * entry" and "the service failed" are told apart.
 *
 * Why not restoreCache alone: @actions/cache 6 (lib/cache.js, restoreCacheV2/V1) catches every
 * error but a ValidationError (a 5xx after its retries, a dropped connection, a read denied by
 * policy, a failed download, a broken archive), logs "Failed to restore: …" and answers undefined,
 * exactly as for a miss. A run that took that for a first run would save a fresh checkpoint over the
 * stretch since the last one and never report what is due there. The lookup it makes first is the
 * one call that knows the difference: GetCacheEntryDownloadURL answers `{ok: false}` for a miss (v2),
 * and the v1 `GET cache?keys=` answers 204; both throw on anything else. That is what lookupEntry
 * makes, through the library's own internal clients (the same retries, bearer token, service URL
 * and cache version as restoreCache), which the package's `exports` map does not expose, hence the
 * path into the package. Pinned by test/unit/state/actions-cache.test.ts against the emulator.
 */




/**
 * The key of the entry restoreCache(paths, key, [prefix]) would restore, or undefined when there is
 * none (of this cache version: the same paths and compression method). Throws when the service could
 * not answer (after the library's retries), with the library's message.
 */
async function lookupEntry(paths, key, prefix) {
    const mode = (0,config/* getCacheMode */.as)();
    // restoreCache skips the restore in these modes and answers "no entry": that is no answer at all.
    if (!(0,config/* isCacheReadable */.bv)(mode)) {
        throw new Error(`the effective cache mode '${mode}' does not permit reading the Actions cache`);
    }
    // As restoreCache computes it (enableCrossOsArchive false, its default).
    const compressionMethod = await (0,cacheUtils/* getCompressionMethod */.yJ)();
    if ((0,config/* getCacheServiceVersion */.U0)() === 'v2') {
        const response = await (0,cacheTwirpClient/* internalCacheTwirpClient */.t)().GetCacheEntryDownloadURL({
            key,
            restoreKeys: [prefix],
            version: (0,cacheUtils/* getCacheVersion */.Fy)(paths, compressionMethod, false),
        });
        return response.ok ? response.matchedKey : undefined;
    }
    const entry = await (0,cacheHttpClient/* getCacheEntry */.J6)([key, prefix], paths, { compressionMethod, enableCrossOsArchive: false });
    return entry?.cacheKey ?? undefined;
}

;// CONCATENATED MODULE: ./src/state/actions-cache.ts





/** The one file in every cache entry, and the `paths` the cache version is hashed from. */
const STATE_FILE = 'insights-watch-state.json';
const MAX_KEY_LENGTH = 512;
/**
 * `state: actions-cache`: the checkpoint as a GitHub Actions cache entry, one new key per save
 * (`keyPrefix + runKey`, then `-2`, …), the newest restored by prefix (actions/cache "Update a cache").
 *
 * load() asks the cache service which entry is newest under the prefix (lookupEntry: a miss and a
 * failure are told apart there, which restoreCache cannot do), then restores that entry. It answers
 * `none` only when the service says there is no entry; it throws when the service cannot be asked,
 * when the entry found cannot be restored (restoreCache answered "no entry" for an entry that
 * exists: its download or extraction failed, as @actions/cache's "Failed to restore" above says),
 * or when the restored state file cannot be read. An entry restored without a state file in it is
 * `lost`: earlier runs saved state, and it is unusable.
 *
 * save() throws unless the library answered with a cache id: it logs most failures (key already
 * taken, service error, upload failure, read-only cache mode) and returns -1 instead of throwing.
 *
 * newerSave() looks again just before a save: an entry under the prefix that is neither the one
 * loaded nor one this run saved was saved by another run meanwhile (two runs without a
 * `concurrency` group), and is restored for the caller to merge.
 */
function createActionsCacheStore(options) {
    const { keyPrefix, runKey, log } = options;
    // Absolute: it becomes the working directory during each call, and tar's -C relative to that.
    const directory = (0,external_node_path_.resolve)(options.directory);
    const saveKey = keyPrefix + runKey;
    const problem = keyProblem(keyPrefix, saveKey);
    if (problem)
        throw new Error(`Invalid Actions cache key ${JSON.stringify(saveKey)}: ${problem}`);
    const file = (0,external_node_path_.join)(directory, STATE_FILE);
    let saves = 0;
    /** The entries this run has read or written: a newest entry among them is no other run's. */
    const known = new Set();
    /** Which entry is newest under the prefix, from the service itself; throws when it cannot tell. */
    const newest = async (primaryKey) => {
        try {
            return await lookupEntry([STATE_FILE], primaryKey, keyPrefix);
        }
        catch (error) {
            throw new Error(`Could not ask the Actions cache for the state (keys ${keyPrefix}…): ${(0,errors/* errorMessage */.g)(error)}. ` +
                'This is not "no checkpoint": the saved state may be there, so this run neither starts fresh nor saves over it.');
        }
    };
    /** Restores the entry `key` and reads its state file; undefined when the entry holds none. */
    const restore = async (key) => {
        await (0,promises_.mkdir)(directory, { recursive: true });
        await (0,promises_.rm)(file, { force: true });
        let matched;
        try {
            matched = await rootedIn(directory, () => cache/* restoreCache */.P3([STATE_FILE], key));
        }
        catch (error) {
            throw new Error(`Could not restore the state from the Actions cache entry ${key}: ${(0,errors/* errorMessage */.g)(error)}`);
        }
        if (matched === undefined) {
            throw new Error(`The Actions cache entry ${key} exists but could not be restored (@actions/cache's "Failed to restore" ` +
                'message above says why). This is not "no checkpoint": this run neither starts fresh nor saves over it.');
        }
        known.add(matched);
        try {
            return { text: await (0,promises_.readFile)(file, 'utf8'), matched };
        }
        catch (error) {
            if (error.code === 'ENOENT')
                return { matched };
            throw new Error(`The Actions cache entry ${matched} was restored but ${STATE_FILE} could not be read from it: ${(0,errors/* errorMessage */.g)(error)}`);
        }
    };
    return {
        description: `actions cache (${keyPrefix}…)`,
        async load() {
            requireCacheService();
            return serialized(async () => {
                await (0,promises_.mkdir)(directory, { recursive: true });
                // A file left by an earlier step of this job must not pass for a restored one.
                await (0,promises_.rm)(file, { force: true });
                // The primary key is this run's own key, which no entry has yet; the prefix finds the newest.
                const key = await newest(saveKey);
                if (key === undefined) {
                    log(`No state in the Actions cache under ${keyPrefix}… (the cache service found no entry).`);
                    return { kind: 'none' };
                }
                const restored = await restore(key);
                const savedAtMs = savedAtOfKey(keyPrefix, restored.matched);
                if (restored.text === undefined) {
                    return {
                        kind: 'lost',
                        reason: `the newest Actions cache entry ${restored.matched} holds no ${STATE_FILE}`,
                        ...(savedAtMs !== undefined ? { savedAtMs } : {}),
                    };
                }
                log(`Restored the state from the Actions cache entry ${restored.matched}.`);
                return {
                    kind: 'found',
                    text: restored.text,
                    origin: `Actions cache entry ${restored.matched}`,
                    ...(savedAtMs !== undefined ? { savedAtMs } : {}),
                };
            });
        },
        async newerSave() {
            requireCacheService();
            return serialized(async () => {
                // The prefix as the primary key: this run's own key would match its own entry first.
                const key = await newest(keyPrefix);
                if (key === undefined || known.has(key))
                    return undefined;
                const restored = await restore(key);
                if (restored.text === undefined)
                    return undefined;
                const savedAtMs = savedAtOfKey(keyPrefix, restored.matched);
                return {
                    kind: 'found',
                    text: restored.text,
                    origin: `Actions cache entry ${restored.matched}`,
                    ...(savedAtMs !== undefined ? { savedAtMs } : {}),
                };
            });
        },
        async save(content) {
            requireCacheService();
            saves += 1;
            const key = saves === 1 ? saveKey : `${saveKey}-${saves}`;
            return serialized(async () => {
                await (0,promises_.mkdir)(directory, { recursive: true });
                await (0,promises_.writeFile)(file, content, 'utf8');
                let cacheId;
                try {
                    cacheId = await rootedIn(directory, () => cache/* saveCache */.Io([STATE_FILE], key));
                }
                catch (error) {
                    throw new Error(`The state was not saved to the Actions cache (key ${key}): ${(0,errors/* errorMessage */.g)(error)}`);
                }
                if (!Number.isInteger(cacheId) || cacheId < 0) {
                    throw new Error(`The state was not saved to the Actions cache (key ${key}): @actions/cache returned ${cacheId}; ` +
                        'its own message above says why (the key already taken, a cache service error, a failed upload, ' +
                        'or a read-only cache).');
                }
                known.add(key);
                log(`Saved the state to the Actions cache as ${key} (cache id ${cacheId}).`);
            });
        },
    };
}
/**
 * `<run id>-<attempt>-<epoch ms>`: unique per run and attempt, and it says when the run started,
 * which is how far (at most) the state in an unusable entry had checked.
 */
function runKeyFor(env, nowMs) {
    return `${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${nowMs}`;
}
/** When the run that saved `key` started (runKeyFor), epoch ms; undefined for a key of another shape. */
function savedAtOfKey(keyPrefix, key) {
    const match = /^[^-]+-[^-]+-(\d{10,})(?:-\d+)?$/.exec(key.slice(keyPrefix.length));
    return key.startsWith(keyPrefix) && match ? Number(match[1]) : undefined;
}
function requireCacheService() {
    // @github/local-action's stand-in for @actions/cache has no isFeatureAvailable: a named import of it
    // would fail at load time there, so it is looked up on the namespace.
    if (typeof cache/* isFeatureAvailable */.w3 === 'function' && !cache/* isFeatureAvailable */.w3()) {
        throw new Error('The Actions cache is not available here (no ACTIONS_RESULTS_URL or ACTIONS_CACHE_URL: not a GitHub ' +
            'Actions runner, or one without the cache service). Use `state: file:<path>` on self-hosted runners ' +
            'and for local runs, or `state: none`.');
    }
}
function keyProblem(keyPrefix, saveKey) {
    if (keyPrefix === '')
        return 'the key prefix is empty';
    if (saveKey.includes(','))
        return 'keys cannot contain commas';
    if (saveKey.length > MAX_KEY_LENGTH)
        return `keys are limited to ${MAX_KEY_LENGTH} characters`;
    return undefined;
}
let queue = Promise.resolve();
/** One cache operation at a time: rootedIn() changes process-wide state for the duration of one. */
function serialized(work) {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
}
/**
 * Runs a cache operation with the working directory and GITHUB_WORKSPACE both set to `directory`.
 *
 * The cache version is a hash of the `paths` strings exactly as given, and the archive stores each
 * file relative to GITHUB_WORKSPACE, extracted back relative to the GITHUB_WORKSPACE of the restoring
 * run. An absolute path under RUNNER_TEMP would change the version whenever RUNNER_TEMP differs
 * (another runner, another OS image), and a workspace-relative one would land elsewhere when RUNNER_TEMP
 * sits differently to the workspace. Rooting both in the state directory makes the path the bare
 * file name (the glob resolves relative patterns against the working directory): the same version
 * and the same place on every runner.
 */
async function rootedIn(directory, work) {
    const cwd = process.cwd();
    const workspace = process.env.GITHUB_WORKSPACE;
    process.chdir(directory);
    process.env.GITHUB_WORKSPACE = directory;
    try {
        return await work();
    }
    finally {
        process.chdir(cwd);
        if (workspace === undefined)
            delete process.env.GITHUB_WORKSPACE;
        else
            process.env.GITHUB_WORKSPACE = workspace;
    }
}


/***/ })

};
