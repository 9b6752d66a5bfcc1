package dev.quark.cluster.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.fixtures.SettableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The previous owners that did not answer a {@code LOOKUP_HELD} in time ({@link SilentPreviousOwners}): marked per
 * incarnation for the hand-off window, until an answer comes; asked once more, without waiting, only while no question
 * to them is open.
 */
class SilentPreviousOwnersTests {

    private static final Duration WINDOW = Duration.ofSeconds(60);

    private final SettableClock clock = new SettableClock();

    private final SilentPreviousOwners owners = new SilentPreviousOwners(this.clock, WINDOW);

    private final SiloEntry hung = silo(1);

    @Test
    void aSiloThatDidNotAnswerIsSilentInThatIncarnationForTheWindow() {
        this.owners.noAnswer(this.hung, new CompletableFuture<>());

        assertThat(this.owners.isSilent(this.hung)).isTrue();
        this.clock.advance(WINDOW.minusMillis(1));
        assertThat(this.owners.isSilent(this.hung)).as("within the window").isTrue();
        this.clock.advance(Duration.ofMillis(1));
        assertThat(this.owners.isSilent(this.hung)).as("once the window has passed").isFalse();

        this.owners.noAnswer(this.hung, new CompletableFuture<>());
        assertThat(this.owners.isSilent(silo(2))).as("the silo restarted under the same id").isFalse();
    }

    @Test
    void anAnswerToTheOpenQuestionHoweverLateEndsTheMark() {
        CompletableFuture<Envelope> question = new CompletableFuture<>();
        this.owners.noAnswer(this.hung, question);

        question.complete(answer());

        assertThat(this.owners.isSilent(this.hung)).isFalse();
    }

    @Test
    void aSiloIsAskedAgainOnlyOnceNoQuestionToItIsOpen() {
        CompletableFuture<Envelope> question = new CompletableFuture<>();
        this.owners.noAnswer(this.hung, question);
        assertThat(this.owners.askAgain(this.hung)).as("while the first question is open").isFalse();

        question.completeExceptionally(new SiloUnavailableException("no answer by the deadline"));
        assertThat(this.owners.isSilent(this.hung)).as("a question that expired").isTrue();
        assertThat(this.owners.askAgain(this.hung)).as("once it expired").isTrue();
        assertThat(this.owners.askAgain(this.hung)).as("while that one is open").isFalse();

        CompletableFuture<Envelope> again = new CompletableFuture<>();
        this.owners.askedAgain(this.hung, again);
        again.complete(answer());
        assertThat(this.owners.isSilent(this.hung)).as("after the answer to the question asked again").isFalse();
    }

    /** A silo never asked about again (it died) does not keep its mark: the next mark, past the window, removes it. */
    @Test
    void theMarkOfASiloNeverAskedAboutAgainIsRemovedByALaterMarkOnceItsWindowPassed() {
        this.owners.noAnswer(silo("silo-dead", 1), new CompletableFuture<>());
        this.owners.noAnswer(silo("silo-other", 1), new CompletableFuture<>());
        assertThat(this.owners.size()).as("both within the window").isEqualTo(2);

        this.clock.advance(WINDOW);
        this.owners.noAnswer(this.hung, new CompletableFuture<>());

        assertThat(this.owners.size()).as("only the new mark").isEqualTo(1);
        assertThat(this.owners.isSilent(this.hung)).isTrue();
    }

    private static SiloEntry silo(long epoch) {
        return silo("silo-0", epoch);
    }

    private static SiloEntry silo(String siloId, long epoch) {
        Instant now = Instant.now();
        return new SiloEntry(siloId, new SiloAddress("127.0.0.1", 9000), now, SiloStatus.ACTIVE, now, epoch,
                Set.of("Spot"), List.of());
    }

    private static Envelope answer() {
        return new Envelope(2, 1, Envelope.Kind.RESPONSE, "silo-0", 1, new SiloAddress("127.0.0.1", 9000), "silo-2", 1,
                "Spot", "spot-1", 0, new byte[0], 0, null, Map.of(), 0, 1, 0);
    }
}
