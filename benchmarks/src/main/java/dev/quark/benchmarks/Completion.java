package dev.quark.benchmarks;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Counts down as actors handle their first message, so a workload knows when all of them have started.
 */
public final class Completion {

    private final CountDownLatch remaining;

    private final String what;

    public Completion(int count, String what) {
        this.remaining = new CountDownLatch(count);
        this.what = what;
    }

    public void done() {
        this.remaining.countDown();
    }

    public void await(Duration timeout) throws InterruptedException, TimeoutException {
        if (!this.remaining.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException(this.remaining.getCount() + " " + this.what + " were still missing after "
                    + timeout);
        }
    }
}
