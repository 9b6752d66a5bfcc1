package dev.quark.messaging;

import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.runtime.RetryBackoff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class MessagingValuesTests {

    @Test
    void messageIdsReadBackFromTheirTextAndBadTextIsNamed() {
        MessageId id = MessageId.next(Clock.systemUTC());
        assertThat(MessageId.parse(id.toString())).isEqualTo(id);
        assertThat(id.value().version()).isEqualTo(7);
        assertThatIllegalArgumentException().isThrownBy(() -> MessageId.parse("order-1"))
            .withMessageStartingWith("'order-1' is not a message id");
    }

    @Test
    void backoffGrowsByTheMultiplierUpToTheMaximum() {
        RetryBackoff backoff = new RetryBackoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(5));
        assertThat(backoff.delayAfter(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.delayAfter(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.delayAfter(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(backoff.delayAfter(4)).isEqualTo(Duration.ofSeconds(5));
        assertThat(backoff.delayAfter(1000)).isEqualTo(Duration.ofSeconds(5));
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RetryBackoff(Duration.ofSeconds(2), 2.0, Duration.ofSeconds(1)))
            .withMessageContaining("shorter than the initial");
        assertThatIllegalArgumentException().isThrownBy(() -> new RetryBackoff(Duration.ZERO, 2.0, Duration.ZERO))
            .withMessageContaining("must be positive");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RetryBackoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)))
            .withMessageContaining("at least 1");
    }

    @Test
    void backoffWaitsAsTheMillisecondFormulaItHadBeforeItUsedTheCoreBackoff() {
        List<Duration> initials = List.of(Duration.ofMillis(1), Duration.ofMillis(7), Duration.ofMillis(100),
                Duration.ofMillis(333), Duration.ofSeconds(1), Duration.ofMillis(1500));
        for (Duration initial : initials) {
            for (double multiplier : new double[] { 1.0, 1.1, 1.5, 2.0, 3.7 }) {
                for (Duration max : List.of(initial, initial.multipliedBy(3), Duration.ofMinutes(5), Duration.ofHours(1))) {
                    RetryBackoff backoff = new RetryBackoff(initial, multiplier, max);
                    for (int attempt = 0; attempt <= 60; attempt++) {
                        double millis = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
                        Duration before = (millis >= max.toMillis()) ? max : Duration.ofMillis((long) millis);
                        assertThat(backoff.delayAfter(attempt))
                            .as("%s x %s up to %s, attempt %d", initial, multiplier, max, attempt)
                            .isEqualTo(before);
                    }
                }
            }
        }
    }

    @Test
    void keysSpreadOverEveryPartitionTheSameWayEachTime() {
        Partitioner partitioner = new Partitioner(16);
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            int partition = partitioner.partition("order-" + i);
            assertThat(partition).isBetween(0, 15).isEqualTo(new Partitioner(16).partition("order-" + i));
            used.add(partition);
        }
        assertThat(used).hasSize(16);
        assertThat(partitioner.partition("order-1")).as("fixed across JVMs").isEqualTo(partitioner.partition("order-1"));
        assertThatIllegalArgumentException().isThrownBy(() -> new Partitioner(0))
            .withMessage("partitions must be between 1 and 4096, was 0");
    }

    @Test
    void destinationsAreNamedAndServedOnce() {
        MessagePublisher orders = MessagePublisher.of("orders", (message) -> {
        });
        Destinations destinations = new Destinations(List.of(orders));
        assertThat(destinations.require("orders")).isSameAs(orders);
        assertThat(destinations.find("invoices")).isEmpty();
        assertThat(destinations.names()).containsExactly("orders");
        assertThatIllegalArgumentException().isThrownBy(() -> new Destinations(List.of(orders, orders)))
            .withMessageStartingWith("Two publishers serve the destination 'orders'");
        assertThatIllegalArgumentException().isThrownBy(() -> MessagePublisher.of(" ", (message) -> {
        })).withMessageContaining("A destination is a name of 1 to 200 characters");
        assertThat(new UnknownDestinationException("x", List.of()))
            .hasMessage("No publisher serves the destination 'x'; known destinations: none (define a MessagePublisher bean for it)");
    }
}
