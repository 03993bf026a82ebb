export const id = 423;
export const ids = [423];
export const modules = {

/***/ 53423:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ProxyRoutingAgent: () => (/* binding */ ProxyRoutingAgent)
/* harmony export */ });
/* harmony import */ var node_http__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(37067);
/* harmony import */ var node_http__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_http__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_https__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(44708);
/* harmony import */ var node_https__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_https__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_net__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(77030);
/* harmony import */ var node_net__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_net__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var agent_base__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(98894);
/* harmony import */ var agent_base__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(agent_base__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var http_proxy_agent__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(81970);
/* harmony import */ var http_proxy_agent__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(http_proxy_agent__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var https_proxy_agent__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(3669);
/* harmony import */ var https_proxy_agent__WEBPACK_IMPORTED_MODULE_5___default = /*#__PURE__*/__webpack_require__.n(https_proxy_agent__WEBPACK_IMPORTED_MODULE_5__);
/* harmony import */ var _proxy_route_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(37943);







const addRequest = node_http__WEBPACK_IMPORTED_MODULE_0__.Agent.prototype.addRequest;
/**
 * An agent for one scheme that sends each request through the proxy proxyFor() names for its
 * target, or direct: one decision for the AWS SDK's clients and the Slack transport, made per
 * request by the rules @actions/http-client applies to the toolkit's calls.
 *
 * Connections are kept alive, whichever the route: the clock probe's connection to CloudWatch Logs
 * is the one StartQuery reuses (service-clock.ts). Through a proxy, an https target gets a CONNECT
 * tunnel (https-proxy-agent), which this agent pools by target; an http target is asked for in
 * absolute form (`GET http://host/path`, http-proxy-agent) on a pooled connection to the proxy.
 * Direct requests are handed to a plain keep-alive agent of the scheme.
 */
class ProxyRoutingAgent extends agent_base__WEBPACK_IMPORTED_MODULE_3__.Agent {
    #secure;
    #direct;
    /** The connectors per proxy URL: they open tunnels and proxy connections; this agent pools them. */
    #tunnels = new Map();
    #forwards = new Map();
    constructor(options) {
        super({ keepAlive: true });
        this.#secure = options.secure;
        this.protocol = options.secure ? 'https:' : 'http:';
        this.#direct = options.secure ? new node_https__WEBPACK_IMPORTED_MODULE_1__.Agent({ keepAlive: true }) : new node_http__WEBPACK_IMPORTED_MODULE_0__.Agent({ keepAlive: true });
    }
    /** Each instance serves one scheme; agent-base would otherwise guess it from the call stack. */
    isSecureEndpoint() {
        return this.#secure;
    }
    /** The proxy for a request's target, or undefined for direct. */
    route(options) {
        const host = options.host ?? options.hostname ?? 'localhost';
        const port = options.port ?? (this.#secure ? 443 : 80);
        return (0,_proxy_route_js__WEBPACK_IMPORTED_MODULE_6__/* .proxyFor */ .i)(new URL(`${this.#secure ? 'https' : 'http'}://${(0,node_net__WEBPACK_IMPORTED_MODULE_2__.isIPv6)(host) ? `[${host}]` : host}:${port}`));
    }
    /**
     * Called by ClientRequest as it is constructed, before its header is written. An http request
     * through a proxy gets its absolute-form path and Proxy-Authorization here, so that it is right on
     * a new connection and on a reused one alike.
     */
    addRequest(req, options) {
        const proxy = this.#secure ? undefined : this.route(options);
        if (proxy) {
            this.#forward(proxy).setRequestProps(req, {
                ...options,
                secureEndpoint: false,
            });
        }
        addRequest.call(this, req, options);
    }
    async connect(req, options) {
        const proxy = this.route(options);
        if (!proxy)
            return this.#direct;
        if (!options.secureEndpoint)
            return this.#forward(proxy).connect(req, options);
        const tunnels = this.#tunnel(proxy);
        let answer;
        const onAnswer = (connect, request) => {
            if (request === req)
                answer = connect;
        };
        tunnels.on('proxyConnect', onAnswer);
        try {
            const socket = await tunnels.connect(req, options);
            if (answer && answer.statusCode !== 200) {
                // https-proxy-agent would hand back the proxy's answer as if the target had sent it (a 407 from
                // "CloudWatch Logs"); an error that names the proxy says what failed.
                socket.destroy();
                throw new Error(`The proxy ${(0,_proxy_route_js__WEBPACK_IMPORTED_MODULE_6__/* .withoutCredentials */ .r)(proxy)} refused a tunnel to ${options.host}:${options.port}: ${answer.statusCode} ${answer.statusText}` +
                    (answer.statusCode === 407 ? ' (check the user and password in HTTPS_PROXY)' : ''));
            }
            return socket;
        }
        finally {
            tunnels.off('proxyConnect', onAnswer);
        }
    }
    destroy() {
        this.#direct.destroy();
        super.destroy();
    }
    #tunnel(proxy) {
        return agentFor(this.#tunnels, proxy, () => new https_proxy_agent__WEBPACK_IMPORTED_MODULE_5__.HttpsProxyAgent(proxy, { keepAlive: true }));
    }
    #forward(proxy) {
        // keepAlive: the requests say `Proxy-Connection: Keep-Alive`, so the proxy keeps the connection.
        return agentFor(this.#forwards, proxy, () => new http_proxy_agent__WEBPACK_IMPORTED_MODULE_4__.HttpProxyAgent(proxy, { keepAlive: true }));
    }
}
/** One agent per proxy, made on first use and kept (its connections are kept alive). */
function agentFor(agents, proxy, make) {
    let agent = agents.get(proxy.href);
    if (!agent) {
        agent = make();
        agents.set(proxy.href, agent);
    }
    return agent;
}


/***/ })

};
