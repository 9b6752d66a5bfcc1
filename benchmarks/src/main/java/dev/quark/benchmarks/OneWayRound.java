package dev.quark.benchmarks;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One round of the one-way workload: every counter expects the same number of messages and counts the
 * round down once it has handled them all, so the end is known without polling any actor.
 */
public final class OneWayRound {

    private final CountDownLatch remainingActors;

    private final int messagesPerActor;

    public OneWayRound(int actors, int messagesPerActor) {
        this.remainingActors = new CountDownLatch(actors);
        this.messagesPerActor = messagesPerActor;
    }

    public int messagesPerActor() {
        return this.messagesPerActor;
    }

    /** Called by a counter that has handled all of its messages of this round. */
    public void actorDone() {
        this.remainingActors.countDown();
    }

    public void await(Duration timeout) throws InterruptedException, TimeoutException {
        if (!this.remainingActors.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException(this.remainingActors.getCount() + " actors had not handled all "
                    + this.messagesPerActor + " messages after " + timeout);
        }
    }

    /**
     * The messages a counter handled in the round it last saw; a counter that sees a new round starts from
     * zero. Confined to the actor that owns it.
     */
    public static final class Tally {

        private OneWayRound round;

        private int handled;

        public void count(OneWayRound current) {
            if (current != this.round) {
                this.round = current;
                this.handled = 0;
            }
            if (++this.handled == current.messagesPerActor) {
                current.actorDone();
            }
        }
    }
}
