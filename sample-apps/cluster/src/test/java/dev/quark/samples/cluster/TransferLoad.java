package dev.quark.samples.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import dev.quark.samples.cluster.BankHttpClient.Reply;

/**
 * Transfers between opened accounts from a few callers, one request at a time each, every caller picking pairs of
 * accounts with a random generator of its own (seeded, so a run repeats its pairs) and the silos it is given in turn
 * as entry points. It records each transfer acknowledged (200, with the transfer id the source account answered) and
 * each that failed: a failed transfer may still have been carried out, if the silo hosting its source died after the
 * debit was saved and before it answered, so its credit and ledger entries may exist without an acknowledged id.
 */
final class TransferLoad implements AutoCloseable {

    /** The most a transfer moves: accounts opened with much more never run out. */
    static final int MAX_AMOUNT = 5;

    private static final Duration PAUSE_AFTER_FAILURE = Duration.ofMillis(100);

    private static final Duration PAUSE_WHILE_HELD_BACK = Duration.ofMillis(50);

    private final BankHttpClient http;

    private final List<SiloProcess> entryPoints;

    private final List<String> accounts;

    private final BooleanSupplier holdBack;

    private final Queue<Transfer> acknowledged = new ConcurrentLinkedQueue<>();

    private final Queue<Reply> failures = new ConcurrentLinkedQueue<>();

    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    private volatile boolean stopped;

    /**
     * Starts the load.
     * @param http the client
     * @param entryPoints the silos whose HTTP API the callers use, in turn
     * @param accounts the accounts, all opened
     * @param callers how many callers
     * @param holdBack asked by each caller before each transfer: while it answers true, the caller waits (what keeps
     * the load from outrunning what it causes downstream)
     */
    TransferLoad(BankHttpClient http, List<SiloProcess> entryPoints, List<String> accounts, int callers,
            BooleanSupplier holdBack) {
        this.http = http;
        this.entryPoints = List.copyOf(entryPoints);
        this.accounts = List.copyOf(accounts);
        this.holdBack = holdBack;
        for (int caller = 0; caller < callers; caller++) {
            SplittableRandom random = new SplittableRandom(caller);
            this.callers.execute(() -> transfer(random));
        }
    }

    private void transfer(SplittableRandom random) {
        for (long round = 0; !this.stopped; round++) {
            if (this.holdBack.getAsBoolean()) {
                LockSupport.parkNanos(PAUSE_WHILE_HELD_BACK.toNanos());
                continue;
            }
            int from = random.nextInt(this.accounts.size());
            int to = (from + 1 + random.nextInt(this.accounts.size() - 1)) % this.accounts.size();
            long amount = 1 + random.nextInt(MAX_AMOUNT);
            SiloProcess entry = this.entryPoints.get((int) (round % this.entryPoints.size()));
            Reply reply = this.http.transfer(entry, this.accounts.get(from), this.accounts.get(to), amount);
            if (reply.ok() && reply.body() != null) {
                this.acknowledged.add(new Transfer(reply.body().path("id").asString(), this.accounts.get(from),
                        this.accounts.get(to), amount));
            }
            else {
                this.failures.add(reply);
                LockSupport.parkNanos(PAUSE_AFTER_FAILURE.toNanos());
            }
        }
    }

    int acknowledgedCount() {
        return this.acknowledged.size();
    }

    List<Transfer> acknowledged() {
        return new ArrayList<>(this.acknowledged);
    }

    List<Reply> failures() {
        return new ArrayList<>(this.failures);
    }

    /**
     * Stops the callers and waits for their last requests (each bounded by the client's deadline).
     */
    @Override
    public void close() {
        this.stopped = true;
        this.callers.shutdown();
        try {
            if (!this.callers.awaitTermination(30, TimeUnit.SECONDS)) {
                this.callers.shutdownNow();
                throw new IllegalStateException("Transfer callers still running 30 s after they were stopped");
            }
        }
        catch (InterruptedException ex) {
            this.callers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A transfer its source account acknowledged.
     * @param id the transfer id
     * @param from the account debited
     * @param to the account credited
     * @param amount the amount
     */
    record Transfer(String id, String from, String to, long amount) {
    }
}
