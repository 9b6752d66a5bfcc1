package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.placement.PlacementDirector;
import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * Passes a {@code HANDOFF} on to the silos that owned the actor before the silo asked: a silo that joined knows
 * no view before its own first one, so it asks only the owner of that view, which may never have activated the
 * actor while an earlier owner still runs it (busy ending it). The silo asked confirms only once the owners its
 * own views show within the hand-off window have confirmed too, including the guess that stands for what came
 * before its first view (a joining silo often first installs a view in which it is already active, and the owner
 * of that guess is the one the race needs).
 * <p>
 * Bounded on the wire: the request names the silos already asked ({@value #ASKED}, so that none is asked twice
 * and no question goes round in a loop) and how many times it was passed on ({@value #HOPS}, at most
 * {@link #MAX_HOPS}; a value that is absent or cannot be read counts as {@link #MAX_HOPS}, so a request from a
 * silo that does not send it is never passed on). An earlier owner that does not confirm is named in the answer
 * ({@link DistributedDirectory#NOT_RELEASED}), and so is one that refused, which {@value #REFUSED} tells apart (a
 * refusal fails an attempt for now, as the direct previous owner's does; no answer fails a child's registration
 * for good); one still ending its activation when the asker's deadline nears makes the answer {@value #BUSY},
 * naming it, and the asker asks again ({@link OwnershipHandoff}). Whichever it is, the asker remembers the silos
 * named and asks them directly on its next attempt ({@link #directAsk}), one hop short of the bound.
 */
final class EarlierOwnerHandoff {

    /** The metadata key of a {@code HANDOFF} that names the silos asked already, comma-separated. */
    static final String ASKED = "quark-handoff-asked";

    /** The metadata key of a {@code HANDOFF} that says how many times it was passed on. */
    static final String HOPS = "quark-handoff-hops";

    /**
     * The metadata key of a {@code HANDOFF}'s {@code ERROR} that says the silo asked (or one it passed the request
     * on to) is still ending its activation: the asker asks again after {@link #BUSY_PAUSE_MILLIS}.
     */
    static final String BUSY = "quark-handoff-busy";

    /**
     * The metadata key of a {@code HANDOFF}'s {@code ERROR} that names, among the silos not released
     * ({@link DistributedDirectory#NOT_RELEASED}), those that refused (their view still gives them the actor, say)
     * rather than did not answer: asking again may succeed.
     */
    static final String REFUSED = "quark-handoff-refused";

    /** How many times a {@code HANDOFF} is passed on at most. */
    static final int MAX_HOPS = 2;

    /** How many silos {@value #ASKED} names at most; a longer list is not read. */
    static final int MAX_ASKED = 64;

    /** How long a list of silo ids (asked, not released) may be, in characters; a longer one is not read. */
    static final int MAX_LIST_CHARS = 4_096;

    /** How long before the asker's deadline a silo asked answers that it is still busy ending the activation. */
    static final long BUSY_MARGIN_MILLIS = 200;

    /**
     * How long a silo asked by a request passed on (or asked directly for a silo a busy answer named) waits at most
     * to reach the asker's membership version before it answers busy: a lagging earlier owner must not hold the
     * answer until the asker's deadline nears, since the asker asks again anyway.
     */
    static final long PASSED_ON_CATCH_UP_MILLIS = 500;

    /** How long the asker pauses before it asks a busy silo again. */
    static final long BUSY_PAUSE_MILLIS = 100;

    /** How long in all, from the first busy answer, the asker asks a busy silo again. */
    static final Duration BUSY_WAIT = Duration.ofSeconds(3);

    /** How much earlier than its own answer a request passed on must be answered. */
    private static final long PASS_ON_MARGIN_MILLIS = 50;

    private final String self;

    private final ViewTracker views;

    private final PlacementDirector placement;

    private final Messenger messenger;

    private final SiloBinding silo;

    private final Clock clock;

    private final BrokenLinkWait brokenLinks;

    EarlierOwnerHandoff(String self, ViewTracker views, PlacementDirector placement, Messenger messenger,
            SiloBinding silo, Clock clock, BrokenLinkWait brokenLinks) {
        this.brokenLinks = brokenLinks;
        this.self = self;
        this.views = views;
        this.placement = placement;
        this.messenger = messenger;
        this.silo = silo;
        this.clock = clock;
    }

    /**
     * Returns the metadata of a first {@code HANDOFF}: not passed on yet, naming the asker and the previous owners it
     * asks together (not the earlier owners it asks directly: a previous owner passes the request on to them too, so
     * that they are reached at a hop from which they still pass it on).
     */
    static Map<String, String> firstAsk(String asker, Set<String> askedTogether) {
        Set<String> asked = new LinkedHashSet<>();
        asked.add(asker);
        asked.addAll(askedTogether);
        return Map.of(HOPS, "0", ASKED, joined(asked));
    }

    /**
     * Returns the metadata of a {@code HANDOFF} sent directly to an earlier owner that an answer in an earlier attempt
     * named as not released: one hop short of the bound, as if a previous owner had passed it on, so that the earlier
     * owner still passes it on to its own earlier owners (a chain of three owners would otherwise leave the first one
     * unasked once the middle one is asked directly).
     * @param asker the silo that asks
     * @param previousOwners the asker's own previous owners, asked together (not the other earlier owners it asks
     * directly, whose own earlier owners must still be asked)
     */
    static Map<String, String> directAsk(String asker, Set<String> previousOwners) {
        Set<String> asked = new LinkedHashSet<>();
        asked.add(asker);
        asked.addAll(previousOwners);
        return Map.of(HOPS, String.valueOf(MAX_HOPS - 1), ASKED, joined(asked));
    }

    /**
     * Whether a request was passed on (or sent directly to an earlier owner), so that the silo asked catches up for
     * {@link #PASSED_ON_CATCH_UP_MILLIS} at most: its {@value #HOPS} is present and reads above 0. A request without
     * it comes from a silo of a version before the pass-on, which asks its previous owner only and takes a busy
     * answer for a refusal: that silo catches up until the asker's deadline nears, as before.
     */
    static boolean passedOn(Map<String, String> metadata) {
        return metadata.containsKey(HOPS) && hops(metadata) > 0;
    }

    /**
     * Reads how many times a request was passed on: absent, not a number, negative or beyond the bound reads as
     * {@link #MAX_HOPS}, never as 0.
     */
    static int hops(Map<String, String> metadata) {
        String value = metadata.get(HOPS);
        if (value == null || value.isEmpty() || value.length() > 2) {
            return MAX_HOPS;
        }
        try {
            int hops = Integer.parseInt(value);
            return (hops < 0 || hops > MAX_HOPS) ? MAX_HOPS : hops;
        }
        catch (NumberFormatException ex) {
            return MAX_HOPS;
        }
    }

    /**
     * Reads a list of silo ids (the silos asked, or those that did not release).
     * @return the ids, empty when absent; {@code null} when it cannot be read (longer than {@link #MAX_LIST_CHARS}
     * or naming more than {@link #MAX_ASKED} silos)
     */
    static @Nullable Set<String> silos(@Nullable String list) {
        if (list == null) {
            return Set.of();
        }
        if (list.length() > MAX_LIST_CHARS) {
            return null;
        }
        if (list.isBlank()) {
            return Set.of();
        }
        String[] ids = list.split(",", -1);
        if (ids.length > MAX_ASKED) {
            return null;
        }
        Set<String> silos = new LinkedHashSet<>();
        for (String id : ids) {
            String trimmed = id.strip();
            if (!trimmed.isEmpty()) {
                silos.add(trimmed);
            }
        }
        return silos;
    }

    /**
     * Joins silo ids, at most {@link #MAX_ASKED} of them and {@link #MAX_LIST_CHARS} characters, the first ones
     * first: a list cut short is still read (a silo it leaves out may be asked twice, never in a loop, as the hops
     * are bounded).
     */
    static String joined(Set<String> silos) {
        StringBuilder joined = new StringBuilder();
        int count = 0;
        for (String silo : silos) {
            int length = joined.length() + ((count > 0) ? 1 : 0) + silo.length();
            if (count == MAX_ASKED || length > MAX_LIST_CHARS) {
                break;
            }
            if (count > 0) {
                joined.append(',');
            }
            joined.append(silo);
            count++;
        }
        return joined.toString();
    }

    /**
     * Returns the silos a {@code HANDOFF} this silo answers is passed on to: the earlier owners its own views show
     * within the hand-off window (other than itself, the asker and the silos asked already), while the request
     * may be passed on.
     */
    Set<String> earlierOwners(Envelope request) {
        Set<String> asked = silos(request.metadata().get(ASKED));
        if (hops(request.metadata()) >= MAX_HOPS || asked == null) {
            return Set.of();
        }
        Set<String> earlier = new LinkedHashSet<>(this.views.recentOwners(request.address(), this.placement));
        earlier.remove(this.self);
        earlier.remove(request.sourceSiloId());
        earlier.removeAll(asked);
        return earlier;
    }

    /**
     * Passes a {@code HANDOFF} this silo answers on to earlier owners ({@link #earlierOwners}), together, after
     * this silo has given up its own activation.
     * @param request the request this silo answers
     * @param earlier the earlier owners to ask
     * @param answerBy when this silo answers at the latest (the earlier owners answer a little before)
     * @return a stage completed with what the earlier owners answered; never failed
     */
    CompletableFuture<Outcome> passOn(Envelope request, Set<String> earlier, long answerBy) {
        if (earlier.isEmpty()) {
            return CompletableFuture.completedFuture(Outcome.RELEASED);
        }
        Set<String> asked = silos(request.metadata().get(ASKED));
        Set<String> nowAsked = new LinkedHashSet<>((asked != null) ? asked : Set.of());
        nowAsked.add(request.sourceSiloId());
        nowAsked.add(this.self);
        nowAsked.addAll(earlier);
        Map<String, String> metadata = Map.of(HOPS, String.valueOf(hops(request.metadata()) + 1), ASKED,
                joined(nowAsked));
        long deadline = answerBy - PASS_ON_MARGIN_MILLIS;
        ActorAddress address = request.address();
        List<CompletableFuture<Outcome>> answers = new ArrayList<>();
        for (String previous : earlier) {
            answers.add(ask(address, previous, metadata, deadline, SeenView.of(request), BrokenLinkWait.RETRIES));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
            .handle((ignored, failure) -> combined(answers.stream().map(CompletableFuture::join).toList()));
    }

    /**
     * Asks one earlier owner, and asks it again, up to a number of times, when its link broke
     * ({@link BrokenLinkWait}) and there is time left.
     */
    private CompletableFuture<Outcome> ask(ActorAddress address, String previous, Map<String, String> metadata,
            long deadline, SeenView askersView, int linkRetriesLeft) {
        SiloEntry target = this.views.current().membership().silos().get(previous);
        if (target == null || target.status() == SiloStatus.DEAD) {
            return CompletableFuture.completedFuture(Outcome.RELEASED);
        }
        if (deadline <= this.clock.millis()) {
            return CompletableFuture.completedFuture(Outcome.busy(Set.of(previous), new SiloUnavailableException("Silo "
                    + this.self + " had no time left to ask silo " + previous + " to give up " + address)));
        }
        CompletableFuture<Envelope> answer;
        try {
            answer = this.messenger.request(Peer.of(target), new Messenger.Message(Envelope.Kind.HANDOFF, address, 0,
                    Envelope.noPayload(), 0, null, metadata, deadline, askersView),
                    () -> new SiloUnavailableException("Silo " + previous + " did not confirm in time that it gave up "
                            + address + " (asked by silo " + this.self + ", which passed the hand-off on)"),
                    "the hand-off of " + address + " passed on");
        }
        catch (RuntimeException ex) {
            answer = CompletableFuture.failedFuture(ex);
        }
        return answer.thenApply((reply) -> settled(address, previous, target, deadline, reply, null))
            .exceptionally((failure) -> {
                if (linkRetriesLeft > 0 && BrokenLinkWait.isBrokenLink(Messenger.unwrap(failure))) {
                    return this.brokenLinks.linkBack(target, deadline - this.clock.millis())
                        .thenCompose((again) -> Boolean.TRUE.equals(again)
                                ? ask(address, previous, metadata, deadline, askersView, linkRetriesLeft - 1)
                                : settled(address, previous, target, deadline, null, failure));
                }
                return settled(address, previous, target, deadline, null, failure);
            })
            .thenCompose((outcome) -> outcome);
    }

    /** Reads an answer, or a failure to get one, as {@link #outcome} does; never fails. */
    private CompletableFuture<Outcome> settled(ActorAddress address, String previous, SiloEntry target,
            long deadline, @Nullable Envelope reply, @Nullable Throwable failure) {
        try {
            return outcome(address, previous, target, deadline, reply, failure);
        }
        catch (RuntimeException ex) {
            // Whatever went wrong reading the answer, the earlier owner did not confirm: never failed.
            return CompletableFuture.completedFuture(Outcome.notReleased(Set.of(previous), ex));
        }
    }

    private CompletableFuture<Outcome> outcome(ActorAddress address, String previous, SiloEntry target,
            long deadline, @Nullable Envelope reply, @Nullable Throwable failure) {
        if (failure != null || reply == null) {
            return ownFailure(previous, target, deadline, false, (failure != null) ? Messenger.unwrap(failure)
                    : new SiloUnavailableException("Silo " + previous + " gave no answer about " + address));
        }
        if (reply.kind() == Envelope.Kind.HANDOFF_ACK) {
            return CompletableFuture.completedFuture(Outcome.RELEASED);
        }
        Throwable cause = this.silo.codec().decodeFailure(reply.payload());
        Set<String> named = silos(reply.metadata().get(DistributedDirectory.NOT_RELEASED));
        Set<String> refused = refusedAmong(named, reply);
        if (Boolean.parseBoolean(reply.metadata().get(BUSY))) {
            // Busy itself, or naming the earlier owners that are (and those that refused).
            if (named == null || named.isEmpty()) {
                return CompletableFuture.completedFuture(Outcome.busy(Set.of(previous), cause));
            }
            return CompletableFuture.completedFuture(new Outcome(Set.of(), refused, without(named, refused), cause));
        }
        if (named == null) {
            return CompletableFuture.completedFuture(Outcome.notReleased(Set.of(previous), cause));
        }
        if (!named.isEmpty()) {
            return CompletableFuture.completedFuture(new Outcome(without(named, refused), refused, Set.of(), cause));
        }
        return ownFailure(previous, target, deadline, true, cause);
    }

    /**
     * Returns the silos among those an answer names as not released that it names as refused too; none when the
     * list cannot be read.
     */
    static Set<String> refusedAmong(@Nullable Set<String> named, Envelope reply) {
        Set<String> refused = silos(reply.metadata().get(REFUSED));
        if (named == null || refused == null) {
            return Set.of();
        }
        Set<String> among = new LinkedHashSet<>(refused);
        among.retainAll(named);
        return among;
    }

    private static Set<String> without(Set<String> silos, Set<String> left) {
        Set<String> rest = new LinkedHashSet<>(silos);
        rest.removeAll(left);
        return rest;
    }

    /**
     * The earlier owner's own failure: when it is gone now, it runs nothing; a leaving one that did not answer
     * has most likely left (as for the asker's own previous owner, {@link OwnershipHandoff}).
     * @param refused whether it answered with a failure of its own (a refusal) rather than not at all
     */
    private CompletableFuture<Outcome> ownFailure(String previous, SiloEntry target, long deadline, boolean refused,
            Throwable cause) {
        long until = Math.min(this.clock.millis() + OwnershipHandoff.DEPARTURE_WAIT_MILLIS, deadline);
        CompletableFuture<Boolean> gone = (target.status() == SiloStatus.SHUTTING_DOWN)
                ? departed(previous, target.epoch(), until)
                : CompletableFuture.completedFuture(isGone(previous, target.epoch()));
        return gone.handle((departed, error) -> {
            if (error == null && Boolean.TRUE.equals(departed)) {
                return Outcome.RELEASED;
            }
            return refused ? Outcome.refused(Set.of(previous), cause) : Outcome.notReleased(Set.of(previous), cause);
        });
    }

    private boolean isGone(String siloId, long epoch) {
        SiloEntry now = this.views.current().membership().silos().get(siloId);
        return now == null || now.status() == SiloStatus.DEAD || now.epoch() != epoch;
    }

    /**
     * Waits, until a time at most, for a view in which a leaving silo is gone, asking for reads of the table.
     */
    private CompletableFuture<Boolean> departed(String siloId, long epoch, long untilMillis) {
        ClusterView view = this.views.current();
        long left = untilMillis - this.clock.millis();
        if (isGone(siloId, epoch) || left <= 0) {
            return CompletableFuture.completedFuture(isGone(siloId, epoch));
        }
        this.silo.refreshFor(new SeenView(view.incarnation(), view.version() + 1));
        return this.views.awaitNewerThan(view)
            .orTimeout(left, TimeUnit.MILLISECONDS)
            .handle((newer, failure) -> failure == null)
            .thenCompose((newer) -> newer ? departed(siloId, epoch, untilMillis)
                    : CompletableFuture.completedFuture(isGone(siloId, epoch)));
    }

    private static Outcome combined(List<Outcome> outcomes) {
        Set<String> notReleased = new LinkedHashSet<>();
        Set<String> refused = new LinkedHashSet<>();
        Set<String> busy = new LinkedHashSet<>();
        Throwable first = null;
        for (Outcome outcome : outcomes) {
            notReleased.addAll(outcome.notReleased());
            refused.addAll(outcome.refused());
            busy.addAll(outcome.busy());
            if (first == null) {
                first = outcome.failure();
            }
        }
        return (notReleased.isEmpty() && refused.isEmpty() && busy.isEmpty()) ? Outcome.RELEASED
                : new Outcome(notReleased, refused, busy, first);
    }

    /**
     * What the earlier owners answered. The answer passed up: any that did not answer make it a failure naming all
     * that are not released, for good; otherwise any busy make it {@value #BUSY}, asked again; otherwise a refusal,
     * asked again as well. {@value #REFUSED} names those that refused, whichever it is.
     * @param notReleased the silos that did not answer in time
     * @param refused the silos that refused
     * @param busy the silos still ending their activation
     * @param failure the first failure, {@code null} when released
     */
    record Outcome(Set<String> notReleased, Set<String> refused, Set<String> busy, @Nullable Throwable failure) {

        static final Outcome RELEASED = new Outcome(Set.of(), Set.of(), Set.of(), null);

        static Outcome busy(Set<String> silos, Throwable failure) {
            return new Outcome(Set.of(), Set.of(), silos, failure);
        }

        static Outcome notReleased(Set<String> silos, Throwable failure) {
            return new Outcome(silos, Set.of(), Set.of(), failure);
        }

        static Outcome refused(Set<String> silos, Throwable failure) {
            return new Outcome(Set.of(), silos, Set.of(), failure);
        }

        boolean released() {
            return this.notReleased.isEmpty() && this.refused.isEmpty() && this.busy.isEmpty();
        }

        /** Every silo not released: those that did not answer, refused, or are busy. */
        Set<String> all() {
            Set<String> all = new LinkedHashSet<>(this.notReleased);
            all.addAll(this.refused);
            all.addAll(this.busy);
            return all;
        }
    }
}
