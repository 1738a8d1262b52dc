// What the views say about each TCP state (hovers, tree tooltips, the diagram, snapshots), in English and
// Simplified Chinese. The facts about each state (names, codes, order, icon) are in states.ts.
import type { TcpState } from './types';

export type Locale = 'en' | 'zh-cn';

export const LOCALES: readonly Locale[] = ['en', 'zh-cn'];

/** What the views say about one state. */
export interface StateTexts {
  state: TcpState;
  /** One line. */
  summary: Record<Locale, string>;
  /** A paragraph: what happened to get here and what the kernel is doing. */
  detail: Record<Locale, string>;
  /** Who has to do something for the connection to move on. */
  nextActor: Record<Locale, string>;
  /** What it means when a socket stays in this state for long (or many sockets are in it). */
  longStay: Record<Locale, string>;
}

// The texts start from the 11-state table of a widely shared Chinese article on the three-way handshake, the
// four-way close and CLOSING, and correct it where it is wrong or vague:
// - Linux keeps TIME-WAIT for a fixed 60 s (TCP_TIMEWAIT_LEN in include/net/tcp.h); it does not use
//   "MSL = 60 s, wait 2 MSL = 120 s", and net.ipv4.tcp_fin_timeout does not change it.
// - FIN-WAIT-2 is short only when the peer closes promptly; an orphaned one is dropped after
//   net.ipv4.tcp_fin_timeout (60 s by default).
// - The article's "SYC-SENT" is SYN-SENT.
export const STATE_TEXTS: Record<TcpState, StateTexts> = {
  CLOSED: {
    state: 'CLOSED',
    summary: {
      en: 'No connection: the socket is not connected or listening, or its connection has ended.',
      'zh-cn': '没有连接：套接字既未连接也未监听，或者它的连接已经结束。',
    },
    detail: {
      en:
        'CLOSED is the state before a connection exists and after it is gone. Linux calls it TCP_CLOSE ' +
        '(code 07 in /proc/net/tcp; ss prints UNCONN or CLOSE). A socket shows up in this state while it is ' +
        'created or bound but neither connect() nor listen() has been called, or after its connection ended ' +
        'by a reset or a timeout while the application still holds the file descriptor. A connection that ' +
        'ended normally simply disappears from the socket table.',
      'zh-cn':
        'CLOSED 是连接建立之前和结束之后的状态。Linux 里叫 TCP_CLOSE（/proc/net/tcp 中的代码是 07，' +
        'ss 显示为 UNCONN 或 CLOSE）。套接字已经创建或绑定了端口，但还没有调用 connect() 或 listen() 时处于这个状态；' +
        '连接因为收到 RST 或超时而结束、而应用程序仍然持有文件描述符时，也会停在这里。' +
        '正常结束的连接则会直接从套接字表中消失。',
    },
    nextActor: {
      en: 'The local application: connect() or listen() to use the socket, or close() to release it.',
      'zh-cn': '本地应用程序：调用 connect() 或 listen() 来使用它，或者调用 close() 释放它。',
    },
    longStay: {
      en:
        'A socket that stays CLOSED with an owner is usually one whose connect() failed (refused, timed out) ' +
        'or whose connection was reset, and the program never closed the descriptor: a small file-descriptor leak.',
      'zh-cn':
        '一个有归属进程的套接字长期处于 CLOSED，通常是 connect() 失败（被拒绝或超时）或连接被重置之后，' +
        '程序一直没有关闭这个描述符：这是一个小小的文件描述符泄漏。',
    },
  },
  LISTEN: {
    state: 'LISTEN',
    summary: {
      en: 'Listening: waiting for clients to connect to this port.',
      'zh-cn': '监听中：等待客户端连接这个端口。',
    },
    detail: {
      en:
        'The application called listen() (a passive OPEN). The kernel answers each incoming SYN with a SYN-ACK ' +
        'and, once the handshake completes, puts the new connection in the accept queue until the application ' +
        'calls accept(). On a LISTEN row, ss shows the current accept-queue length as Recv-Q and the backlog ' +
        '(the listen() argument, capped by net.core.somaxconn) as Send-Q; the remote address is a wildcard.',
      'zh-cn':
        '应用程序调用了 listen()（被动打开）。内核对每个到来的 SYN 回复 SYN-ACK，三次握手完成后把新连接放进' +
        '全连接队列（accept 队列），等应用程序调用 accept() 取走。在 LISTEN 行上，ss 的 Recv-Q 是当前 accept 队列' +
        '里的连接数，Send-Q 是队列上限（listen() 的 backlog 参数，不超过 net.core.somaxconn）；远端地址是通配符。',
    },
    nextActor: {
      en: 'A client, by sending a SYN; then the local application, by calling accept().',
      'zh-cn': '先是客户端发来 SYN；然后是本地应用程序调用 accept()。',
    },
    longStay: {
      en:
        'Normal: a server listens for as long as it runs. Worry only when Recv-Q reaches Send-Q: the accept ' +
        'queue is full because the application does not accept() fast enough, and Linux drops new handshakes, ' +
        'so clients hang in SYN-SENT or time out.',
      'zh-cn':
        '这是正常的：服务器运行多久就监听多久。需要留意的是 Recv-Q 达到 Send-Q 的情况：accept 队列满了，' +
        '说明应用程序 accept() 不够快，Linux 会丢弃新的握手，客户端就会卡在 SYN-SENT 或者连接超时。',
    },
  },
  'SYN-SENT': {
    state: 'SYN-SENT',
    summary: {
      en: 'Connecting: a SYN was sent and the reply (SYN-ACK) has not arrived yet.',
      'zh-cn': '正在连接：已发出 SYN，还没有收到对方的 SYN-ACK。',
    },
    detail: {
      en:
        'The application called connect() (an active OPEN) and the kernel sent a SYN carrying its initial ' +
        'sequence number: the first step of the three-way handshake. A SYN-ACK moves the connection to ' +
        'ESTABLISHED; a RST ends it at once (connection refused). With no answer, Linux resends the SYN ' +
        'net.ipv4.tcp_syn_retries times (6 by default, backing off from 1 s), so connect() gives up after about ' +
        '127 s unless the application set a shorter timeout.',
      'zh-cn':
        '应用程序调用了 connect()（主动打开），内核发出带有初始序列号的 SYN，这是三次握手的第一步。' +
        '收到 SYN-ACK 后连接进入 ESTABLISHED；收到 RST 则立刻结束（连接被拒绝）。如果一直没有回应，' +
        'Linux 会按 net.ipv4.tcp_syn_retries（默认 6 次，从 1 秒开始指数退避）重发 SYN，' +
        '所以在应用没有设置更短超时的情况下，connect() 大约 127 秒后才会失败。',
    },
    nextActor: {
      en: 'The remote host: it must answer with a SYN-ACK (or a RST).',
      'zh-cn': '远端主机：它需要回复 SYN-ACK（或者 RST）。',
    },
    longStay: {
      en:
        'Nothing answers: the remote host is down or unreachable, a firewall silently drops the SYN, the address ' +
        'or port is wrong and leads to a filtered place, or the server\'s accept queue is full and it drops the ' +
        'SYN. A closed port on a reachable host would have answered with a RST right away.',
      'zh-cn':
        '没有任何回应：远端主机宕机或不可达、防火墙悄悄丢弃了 SYN、地址或端口写错了而发到了被过滤的地方，' +
        '或者服务器的 accept 队列已满而丢弃了 SYN。如果主机可达而端口没人监听，对方会立刻回 RST，不会卡在这里。',
    },
  },
  'SYN-RECEIVED': {
    state: 'SYN-RECEIVED',
    summary: {
      en: 'Half-open: a SYN arrived and was answered with a SYN-ACK; waiting for the client\'s ACK.',
      'zh-cn': '半连接：收到了 SYN 并回复了 SYN-ACK，正在等待客户端的 ACK。',
    },
    detail: {
      en:
        'The second step of the three-way handshake, on the server side. On Linux a half-open connection is a ' +
        'small request socket (TCP_NEW_SYN_RECV, code 0C inside the kernel, shown as SYN-RECV) kept in the ' +
        'listener\'s SYN queue, with no file descriptor and so no owning process yet. When the client\'s ACK ' +
        'arrives, the kernel creates the full socket in ESTABLISHED and queues it for accept(). Without an ACK, ' +
        'the SYN-ACK is resent net.ipv4.tcp_synack_retries times (5 by default: about 63 s) before the request ' +
        'is dropped.',
      'zh-cn':
        '这是三次握手的第二步，发生在服务端。在 Linux 上，半连接只是一个很小的请求套接字（内核内部叫 ' +
        'TCP_NEW_SYN_RECV，代码 0C，显示为 SYN-RECV），放在监听套接字的半连接队列（SYN 队列）里，' +
        '还没有文件描述符，所以也没有归属进程。客户端的 ACK 到达后，内核才创建完整的套接字，状态为 ESTABLISHED，' +
        '并放入 accept 队列。如果一直收不到 ACK，SYN-ACK 会按 net.ipv4.tcp_synack_retries 重发' +
        '（默认 5 次，约 63 秒），然后丢弃这个请求。',
    },
    nextActor: {
      en: 'The client: it must send the final ACK of the handshake.',
      'zh-cn': '客户端：它需要发出握手的最后一个 ACK。',
    },
    longStay: {
      en:
        'The client\'s ACK does not arrive: the client went away, the return path loses packets, or many ' +
        'half-open connections from unknown addresses mean a SYN flood (Linux then answers with SYN cookies ' +
        'when net.ipv4.tcp_syncookies allows it).',
      'zh-cn':
        '客户端的 ACK 一直没到：客户端已经离开、回程路径丢包；如果有大量来自陌生地址的半连接，' +
        '可能是 SYN 洪水攻击（在 net.ipv4.tcp_syncookies 允许时，Linux 会改用 SYN cookie 应答）。',
    },
  },
  ESTABLISHED: {
    state: 'ESTABLISHED',
    summary: {
      en: 'Open: the handshake is complete and data can flow both ways.',
      'zh-cn': '已建立：握手完成，双方可以互相传输数据。',
    },
    detail: {
      en:
        'The normal state of a working connection. The client gets here when the SYN-ACK arrives and it sends ' +
        'the third segment of the handshake (the ACK); the server gets here when that ACK arrives. TCP is full ' +
        'duplex: each side can send and receive independently until it closes. Recv-Q is data received but not ' +
        'yet read by the application; Send-Q is data sent but not yet acknowledged by the peer.',
      'zh-cn':
        '连接正常工作时的状态。客户端在收到 SYN-ACK 并发出握手的第三个报文（ACK）时进入这个状态；' +
        '服务端在收到这个 ACK 时进入。TCP 是全双工的：关闭之前，双方都可以各自独立地收发数据。' +
        'Recv-Q 是已经收到但应用程序还没读取的数据，Send-Q 是已经发出但对方还没确认的数据。',
    },
    nextActor: {
      en: 'Either application: to send data, or to close the connection.',
      'zh-cn': '任意一端的应用程序：发送数据，或者关闭连接。',
    },
    longStay: {
      en:
        'Usually fine: pooled and keep-alive connections stay open for a long time. Look at the queues: a ' +
        'growing Recv-Q means this application is not reading; a growing Send-Q means the peer is not reading ' +
        'or the network is slow.',
      'zh-cn':
        '通常没问题：连接池和长连接本来就会保持很久。要看的是队列：Recv-Q 持续增长说明本端应用没有读取数据；' +
        'Send-Q 持续增长说明对方没有读取，或者网络很慢。',
    },
  },
  'FIN-WAIT-1': {
    state: 'FIN-WAIT-1',
    summary: {
      en: 'Closing first: this side sent its FIN and waits for it to be acknowledged.',
      'zh-cn': '主动关闭：本端已发出 FIN，正在等待对方确认。',
    },
    detail: {
      en:
        'The application called close() or shutdown(SHUT_WR) first (the active close), and the kernel sent a FIN ' +
        'after any data still queued: the first step of the close. The peer\'s ACK moves the connection to ' +
        'FIN-WAIT-2. If the peer\'s own FIN arrives before that ACK, both sides are closing at once and the ' +
        'connection goes to CLOSING; a FIN that also acknowledges ours leads straight to TIME-WAIT (RFC 9293 ' +
        'Figure 5, note 2). The peer usually answers within a round trip, so this state is rarely seen.',
      'zh-cn':
        '应用程序先调用了 close() 或 shutdown(SHUT_WR)（主动关闭），内核在发完仍在排队的数据之后发出 FIN，' +
        '这是挥手的第一步。收到对方的 ACK 后进入 FIN-WAIT-2。如果在这个 ACK 之前先收到了对方的 FIN，' +
        '说明双方同时在关闭，连接进入 CLOSING；如果对方的 FIN 同时确认了我们的 FIN，则直接进入 TIME-WAIT' +
        '（RFC 9293 图 5 的注释 2）。对方通常在一个往返时间内就会回应，所以很少能看到这个状态。',
    },
    nextActor: {
      en: 'The remote host: it must acknowledge this side\'s FIN.',
      'zh-cn': '远端主机：它需要确认本端的 FIN。',
    },
    longStay: {
      en:
        'The peer does not acknowledge: it has gone away, packets are lost, or its receive window is zero and ' +
        'data queued before our FIN cannot be delivered. Linux keeps retransmitting; for a socket the ' +
        'application already closed, net.ipv4.tcp_orphan_retries limits how long.',
      'zh-cn':
        '对方一直不确认：对方已经离开、报文丢失，或者对方的接收窗口为零，FIN 前面排队的数据发不出去。' +
        'Linux 会不断重传；如果应用程序已经关闭了这个套接字，重传次数受 net.ipv4.tcp_orphan_retries 限制。',
    },
  },
  'FIN-WAIT-2': {
    state: 'FIN-WAIT-2',
    summary: {
      en: 'Half-closed: our FIN was acknowledged; waiting for the peer to close its side.',
      'zh-cn': '半关闭：我们的 FIN 已被确认，正在等待对方关闭它那一端。',
    },
    detail: {
      en:
        'The peer acknowledged our FIN, so this direction is finished: this side can no longer send but can ' +
        'still receive until the peer sends its own FIN, which moves the connection to TIME-WAIT. Meanwhile the ' +
        'peer sits in CLOSE-WAIT. How long this lasts depends entirely on when the peer application closes. If ' +
        'this side\'s application has closed the socket completely (not just shutdown()), Linux drops the ' +
        'orphaned connection after net.ipv4.tcp_fin_timeout (60 s by default).',
      'zh-cn':
        '对方已经确认了我们的 FIN，这个方向的数据传输结束了：本端不能再发送，但在对方发来自己的 FIN 之前仍然可以接收；' +
        '收到对方的 FIN 后进入 TIME-WAIT。这时对方处于 CLOSE-WAIT。这个状态持续多久，完全取决于对方应用程序什么时候关闭。' +
        '如果本端应用已经彻底关闭了套接字（而不只是 shutdown()），Linux 会在 net.ipv4.tcp_fin_timeout' +
        '（默认 60 秒）之后丢弃这个无主连接。',
    },
    nextActor: {
      en: 'The remote application: it must close its side so its FIN is sent.',
      'zh-cn': '远端应用程序：它需要关闭自己那一端，让对方内核发出 FIN。',
    },
    longStay: {
      en:
        'The peer application has not closed its end (its socket is in CLOSE-WAIT): look for a missing close() ' +
        'on the other side, or a half-close protocol where the peer still has data to send.',
      'zh-cn':
        '对方应用程序还没有关闭它那一端（它的套接字处于 CLOSE-WAIT）：检查对方是否漏了 close()，' +
        '或者协议本身使用半关闭，对方还有数据要发。',
    },
  },
  'CLOSE-WAIT': {
    state: 'CLOSE-WAIT',
    summary: {
      en: 'The peer has closed; this application has not called close() yet.',
      'zh-cn': '对方已经关闭，本端应用程序还没有调用 close()。',
    },
    detail: {
      en:
        'The peer sent a FIN (it closed its side, the passive close begins) and this side acknowledged it. Reads ' +
        'now return end-of-file (0 bytes). The connection stays here until the local application calls close() ' +
        'or shutdown(SHUT_WR), which sends our FIN and moves it to LAST-ACK. The kernel has no timeout for this ' +
        'state: only the application can end it.',
      'zh-cn':
        '对方发来了 FIN（它关闭了自己那一端，被动关闭开始），本端已回复 ACK。此后 read() 会返回 0（读到文件结尾）。' +
        '连接会一直停在这里，直到本地应用程序调用 close() 或 shutdown(SHUT_WR)，发出我们的 FIN 并进入 LAST-ACK。' +
        '内核对这个状态没有超时：只有应用程序能结束它。',
    },
    nextActor: {
      en: 'The local application: it must call close() on this socket.',
      'zh-cn': '本地应用程序：它需要对这个套接字调用 close()。',
    },
    longStay: {
      en:
        'Almost always a bug in this process: it stopped reading after end-of-file, or an error path skips ' +
        'close(), so the descriptor leaks. Many CLOSE-WAIT sockets eventually exhaust file descriptors.',
      'zh-cn':
        '几乎总是本进程的 bug：读到文件结尾后没有再处理，或者某条错误处理路径漏掉了 close()，导致描述符泄漏。' +
        'CLOSE-WAIT 堆积多了，最终会耗尽文件描述符。',
    },
  },
  CLOSING: {
    state: 'CLOSING',
    summary: {
      en: 'Both sides closed at once: waiting for the ACK of our FIN.',
      'zh-cn': '双方同时关闭：正在等待对方确认我们的 FIN。',
    },
    detail: {
      en:
        'A simultaneous close: this side sent its FIN (FIN-WAIT-1) and, before the ACK of it came back, received ' +
        'the peer\'s FIN and acknowledged it. Three things have happened: we sent a FIN, we are still waiting for ' +
        'its ACK, and the peer\'s FIN arrived. The ACK of our FIN moves the connection to TIME-WAIT.',
      'zh-cn':
        '这是同时关闭：本端发出了 FIN（处于 FIN-WAIT-1），在收到对它的 ACK 之前，先收到了对方的 FIN 并做了确认。' +
        '进入这个状态要满足三个条件：本端已发出 FIN、还在等它的 ACK、而对方的 FIN 先到了。' +
        '收到对我们 FIN 的确认后，连接进入 TIME-WAIT。',
    },
    nextActor: {
      en: 'The remote host: it must acknowledge our FIN.',
      'zh-cn': '远端主机：它需要确认我们的 FIN。',
    },
    longStay: {
      en:
        'Rare and normally brief. If it lasts, our FIN or its ACK keeps getting lost, or the peer vanished ' +
        'right after sending its FIN.',
      'zh-cn': '少见且通常很短暂。如果持续存在，说明我们的 FIN 或对方的 ACK 一再丢失，或者对方发完 FIN 就消失了。',
    },
  },
  'LAST-ACK': {
    state: 'LAST-ACK',
    summary: {
      en: 'Closing second: our FIN is sent after the peer\'s; waiting for its final ACK.',
      'zh-cn': '被动关闭的最后一步：在对方之后发出了我们的 FIN，正在等待最后的 ACK。',
    },
    detail: {
      en:
        'This side received the peer\'s FIN earlier (CLOSE-WAIT), then the application closed, so the kernel ' +
        'sent our FIN: the third step of the close. When the peer\'s ACK arrives, the connection is deleted at ' +
        'once (CLOSED) without a TIME-WAIT: only the side that closes first waits in TIME-WAIT.',
      'zh-cn':
        '本端之前已经收到了对方的 FIN（CLOSE-WAIT），随后应用程序关闭了连接，内核发出我们的 FIN，' +
        '这是挥手的第三步。收到对方的 ACK 后，连接立即删除（CLOSED），不经过 TIME-WAIT：' +
        '只有先关闭的一方才需要在 TIME-WAIT 中等待。',
    },
    nextActor: {
      en: 'The remote host: it must acknowledge our FIN.',
      'zh-cn': '远端主机：它需要确认我们的 FIN。',
    },
    longStay: {
      en:
        'The final ACK does not arrive: the peer is gone or packets are lost. Linux retransmits the FIN until ' +
        'its retries run out, then drops the connection.',
      'zh-cn': '最后的 ACK 一直没到：对方已经离开或者报文丢失。Linux 会重传 FIN，直到重试次数用完，然后丢弃连接。',
    },
  },
  'TIME-WAIT': {
    state: 'TIME-WAIT',
    summary: {
      en: 'Closed first, now waiting out the timer (60 s on Linux) before the 4-tuple can be reused.',
      'zh-cn': '本端先关闭，现在等待计时结束（Linux 上为 60 秒），之后这个四元组才能再次使用。',
    },
    detail: {
      en:
        'The side that closed first gets here after it has received the peer\'s FIN and sent the last ACK of ' +
        'the close. It waits so that, if that ACK is lost, the peer\'s retransmitted FIN can be acknowledged ' +
        'again, and so that delayed segments of this connection die out before the same addresses and ports ' +
        'carry a new one. RFC 9293 asks for 2 × MSL; Linux uses a fixed 60 s (TCP_TIMEWAIT_LEN, compiled into the ' +
        'kernel; net.ipv4.tcp_fin_timeout is a different timer and does not change it): not "MSL = 60 s, so 120 s". The socket is then a small timewait entry with no file ' +
        'descriptor, so no process owns it.',
      'zh-cn':
        '先关闭的一方在收到对方的 FIN、并发出挥手的最后一个 ACK 之后进入这个状态。等待的原因有两个：' +
        '如果这个 ACK 丢了，对方会重发 FIN，本端还能再次确认；同时让这个连接在网络中迟到的报文全部消失，' +
        '避免干扰之后使用相同地址和端口的新连接。RFC 9293 要求等待 2 × MSL；Linux 则固定等待 60 秒' +
        '（TCP_TIMEWAIT_LEN，编译在内核里；net.ipv4.tcp_fin_timeout 是另一个计时器，改不了它）——' +
        '并不是“MSL 为 60 秒、等待 120 秒”。' +
        '此时套接字只是一个很小的 timewait 记录，没有文件描述符，因此不属于任何进程。',
    },
    nextActor: {
      en: 'Nobody: the kernel deletes the connection when the timer expires.',
      'zh-cn': '无需任何一方动作：计时结束后内核会删除这个连接。',
    },
    longStay: {
      en:
        'Each socket leaves by itself after 60 s. Many of them on one local endpoint mean this side closes ' +
        'first on every request (for example an HTTP client without keep-alive); it can run out of ephemeral ' +
        'ports towards one destination. Reuse connections, or let the peer close first; ' +
        'net.ipv4.tcp_tw_reuse helps outgoing connections.',
      'zh-cn':
        '每个套接字 60 秒后都会自行消失。如果同一个本地端点上有大量 TIME-WAIT，说明每次请求都是本端先关闭' +
        '（例如没有使用长连接的 HTTP 客户端），到同一目标的临时端口可能被用完。可以复用连接，或者让对方先关闭；' +
        'net.ipv4.tcp_tw_reuse 对主动发起的连接有帮助。',
    },
  },
};
