package dev.quark.eventsourcing;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Reading stored events through upcasters, including upcasters that rename a type.
 */
class EventSerializerTests {

    sealed interface AccountEvent permits Credited, Closed {
    }

    @EventType(value = "Credited", version = 2)
    record Credited(long cents, String memo) implements AccountEvent {
    }

    @EventType("Closed")
    record Closed(String reason) implements AccountEvent {
    }

    private static final EventUpcaster CREDITED_IN_CENTS = EventUpcaster.of("Credited", 1, (payload) -> {
        ObjectNode node = (ObjectNode) payload;
        node.put("cents", node.remove("euros").asLong() * 100);
        return node.put("memo", "upcast");
    });

    /** The type was called "Deposited", at version 2 when it was renamed; its payloads are version 1 of "Credited". */
    private static final EventUpcaster DEPOSITED_IS_CREDITED = EventUpcaster.renaming("Deposited", 2, "Credited", 1,
            (payload) -> payload);

    private static final EventUpcaster DEPOSITED_IN_EUROS = EventUpcaster.of("Deposited", 1, (payload) -> {
        ObjectNode node = (ObjectNode) payload;
        return node.put("euros", node.remove("amount").asLong());
    });

    @Test
    void aRenamedTypeIsReadThroughItsOwnUpcastersThenThoseOfTheTypeItWasRenamedTo() {
        EventSerializer<AccountEvent> serializer = serializer(CREDITED_IN_CENTS, DEPOSITED_IS_CREDITED,
                DEPOSITED_IN_EUROS);
        assertThat(serializer.deserialize(stored("Deposited", 1, "{\"amount\":3}")))
            .isEqualTo(new Credited(300, "upcast"));
        assertThat(serializer.deserialize(stored("Deposited", 2, "{\"euros\":4}")))
            .isEqualTo(new Credited(400, "upcast"));
        assertThat(serializer.deserialize(stored("Credited", 1, "{\"euros\":5}")))
            .isEqualTo(new Credited(500, "upcast"));
        assertThat(serializer.deserialize(stored("Credited", 2, "{\"cents\":6,\"memo\":\"m\"}")))
            .isEqualTo(new Credited(6, "m"));
    }

    @Test
    void aRenamedTypeWithoutTheNextUpcasterFailsNamingTheTypeItWasRenamedTo() {
        EventSerializer<AccountEvent> serializer = serializer(DEPOSITED_IS_CREDITED);
        assertThatExceptionOfType(EventDeserializationException.class)
            .isThrownBy(() -> serializer.deserialize(stored("Deposited", 2, "{\"euros\":4}")))
            .withMessageContaining("type 'Deposited', schema version 2")
            .withMessageContaining("no upcaster reads version 1 of type 'Credited', to which its upcasters renamed it "
                    + "(the class is at version 2)");
        EventSerializer<AccountEvent> toNowhere = serializer(EventUpcaster.renaming("Deposited", 2, "Paid", 1,
                (payload) -> payload));
        assertThatExceptionOfType(EventDeserializationException.class)
            .isThrownBy(() -> toNowhere.deserialize(stored("Deposited", 2, "{}")))
            .withMessageContaining("has type 'Paid', to which its upcasters renamed it");
    }

    @Test
    void upcastersThatRenameInALoopFailTheReadInsteadOfRunningForever() {
        EventSerializer<AccountEvent> serializer = serializer(
                EventUpcaster.renaming("Deposited", 1, "Paid", 1, (payload) -> payload),
                EventUpcaster.renaming("Paid", 1, "Deposited", 1, (payload) -> payload));
        assertThatExceptionOfType(EventDeserializationException.class)
            .isThrownBy(() -> serializer.deserialize(stored("Deposited", 1, "{}")))
            .withMessageContaining("its upcasters rename it in a loop, back to 'Deposited' version 1");
    }

    @Test
    void anUpcasterThatFailsOrReturnsNothingIsNamed() {
        EventSerializer<AccountEvent> serializer = serializer(CREDITED_IN_CENTS);
        assertThatExceptionOfType(EventDeserializationException.class)
            .isThrownBy(() -> serializer.deserialize(stored("Credited", 1, "[1]")))
            .withMessageContaining("upcaster EventUpcaster[Credited v1 -> Credited v2] failed on it");
        EventSerializer<AccountEvent> returningNothing = serializer(DEPOSITED_IN_EUROS,
                EventUpcaster.renaming("Deposited", 2, "Credited", 1, (payload) -> null), CREDITED_IN_CENTS);
        assertThatExceptionOfType(EventDeserializationException.class)
            .isThrownBy(() -> returningNothing.deserialize(stored("Deposited", 1, "{\"amount\":3}")))
            .withMessageContaining("upcaster EventUpcaster[Deposited v2 -> Credited v1] returned no payload");
    }

    @Test
    void anUpcasterThatSkipsPastTheClassesVersionIsNamedAsTheCause() {
        EventSerializer<AccountEvent> serializer = serializer(
                EventUpcaster.renaming("Credited", 1, "Credited", 3, (payload) -> payload));
        assertThatExceptionOfType(EventDeserializationException.class)
            .isThrownBy(() -> serializer.deserialize(stored("Credited", 1, "{}")))
            .withMessageContaining("is at schema version 2, older than version 3 of 'Credited', which its upcasters "
                    + "brought it to");
    }

    @Test
    void anUpcasterThatKeepsItsTypeMustRaiseTheVersion() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> EventUpcaster.renaming("Credited", 2, "Credited", 2, (payload) -> payload))
            .withMessageContaining("reads version 2 and writes version 2 of the same type; it must write a later one");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> EventUpcaster.renaming("Deposited", 1, "Credited", 0, (payload) -> payload))
            .withMessageContaining("schema versions start at 1");
        EventUpcaster backwards = new EventUpcaster() {

            @Override
            public String eventType() {
                return "Credited";
            }

            @Override
            public int fromVersion() {
                return 1;
            }

            @Override
            public int toVersion() {
                return 1;
            }

            @Override
            public tools.jackson.databind.JsonNode upcast(tools.jackson.databind.JsonNode payload) {
                return payload;
            }
        };
        assertThatIllegalArgumentException().isThrownBy(() -> serializer(backwards))
            .withMessageContaining("reads version 1 and writes version 1 of 'Credited'");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new EventSourcingActivationHook(new dev.quark.eventsourcing.memory.InMemoryEventStore(),
                    JsonMapper.builder().build(), List.of(backwards), 100))
            .as("refused as the application starts, not at each activation")
            .withMessageContaining("reads version 1 and writes version 1 of 'Credited'");
    }

    private static EventSerializer<AccountEvent> serializer(EventUpcaster... upcasters) {
        return new EventSerializer<>(JsonMapper.builder().build(), EventTypes.of(AccountEvent.class),
                List.of(upcasters));
    }

    private static StoredEvent stored(String type, int schemaVersion, String payload) {
        return new StoredEvent("Account/alice", 1, UUID.randomUUID(), type, schemaVersion, payload, Instant.EPOCH,
                FeedPosition.START);
    }
}
