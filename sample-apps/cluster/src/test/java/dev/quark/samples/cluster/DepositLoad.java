package dev.quark.samples.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.quark.samples.cluster.BankHttpClient.Reply;

/**
 * Deposits of a fixed amount from a few callers, each the only writer of its own accounts, one request at a
 * time, spread over the silos it is given. It keeps a ledger: per account, the deposits acknowledged (200) and
 * the ones that failed — a failed deposit may still have been carried out, if its silo died after it ran and
 * before it answered, so the balance of an account must lie between its acknowledged sum and that plus its
 * failed deposits.
 */
final class DepositLoad implements AutoCloseable {

    /** The amount of every deposit. */
    static final long AMOUNT = 10;

    private static final Duration PAUSE_AFTER_FAILURE = Duration.ofMillis(100);

    private final BankHttpClient http;

    private final List<SiloProcess> entryPoints;

    private final Map<String, Ledger> ledgers = new ConcurrentHashMap<>();

    private final Queue<Reply> failures = new ConcurrentLinkedQueue<>();

    private final AtomicLong acknowledged = new AtomicLong();

    private final AtomicLong slowest = new AtomicLong();

    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    private volatile boolean stopped;

    /**
     * Starts the load.
     * @param http the client
     * @param entryPoints the silos whose HTTP API the callers use, in turn
     * @param accountsPerCaller the accounts of each caller
     */
    DepositLoad(BankHttpClient http, List<SiloProcess> entryPoints, List<List<String>> accountsPerCaller) {
        this.http = http;
        this.entryPoints = List.copyOf(entryPoints);
        for (List<String> accounts : accountsPerCaller) {
            accounts.forEach((account) -> this.ledgers.put(account, new Ledger()));
            this.callers.execute(() -> deposit(accounts));
        }
    }

    private void deposit(List<String> accounts) {
        for (long round = 0; !this.stopped; round++) {
            String account = accounts.get((int) (round % accounts.size()));
            SiloProcess entry = this.entryPoints.get((int) (round % this.entryPoints.size()));
            Ledger ledger = this.ledgers.get(account);
            Instant sent = Instant.now();
            Reply reply = this.http.deposit(entry, account, AMOUNT);
            this.slowest.accumulateAndGet(reply.took().toMillis(), Math::max);
            if (reply.ok()) {
                ledger.acknowledged(sent);
                this.acknowledged.incrementAndGet();
            }
            else {
                ledger.failed();
                this.failures.add(reply);
                LockSupport.parkNanos(PAUSE_AFTER_FAILURE.toNanos());
            }
        }
    }

    long acknowledged() {
        return this.acknowledged.get();
    }

    Ledger ledger(String account) {
        return this.ledgers.get(account);
    }

    List<Reply> failures() {
        return new ArrayList<>(this.failures);
    }

    Duration slowest() {
        return Duration.ofMillis(this.slowest.get());
    }

    /**
     * Stops the callers and waits for their last requests (each bounded by the client's deadline).
     */
    @Override
    public void close() {
        this.stopped = true;
        this.callers.shutdown();
        try {
            if (!this.callers.awaitTermination(60, TimeUnit.SECONDS)) {
                this.callers.shutdownNow();
                throw new IllegalStateException("Deposit callers still running 60 s after they were stopped");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What happened to the deposits of one account.
     */
    static final class Ledger {

        private final AtomicLong acknowledged = new AtomicLong();

        private final AtomicLong failed = new AtomicLong();

        private volatile Instant lastAcknowledgedSent = Instant.MIN;

        private void acknowledged(Instant sent) {
            this.acknowledged.incrementAndGet();
            this.lastAcknowledgedSent = sent;
        }

        private void failed() {
            this.failed.incrementAndGet();
        }

        /** The sum of the deposits acknowledged. */
        long acknowledgedSum() {
            return this.acknowledged.get() * AMOUNT;
        }

        /** The sum of the deposits that failed: each may or may not have been carried out. */
        long failedSum() {
            return this.failed.get() * AMOUNT;
        }

        /** When the last acknowledged deposit was sent. */
        Instant lastAcknowledgedSent() {
            return this.lastAcknowledgedSent;
        }
    }
}
