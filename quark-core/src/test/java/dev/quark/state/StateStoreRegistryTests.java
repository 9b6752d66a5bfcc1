package dev.quark.state;

import java.util.NoSuchElementException;

import dev.quark.state.memory.InMemoryStateStore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class StateStoreRegistryTests {

    private final InMemoryStateStore main = new InMemoryStateStore();

    private final InMemoryStateStore audit = new InMemoryStateStore();

    @Test
    void emptyNameAndDefaultNameTheDefaultStore() {
        StateStoreRegistry registry = StateStoreRegistry.of(this.main).with("audit", this.audit);
        assertThat(registry.store("")).isSameAs(this.main);
        assertThat(registry.store("default")).isSameAs(this.main);
        assertThat(registry.store("audit")).isSameAs(this.audit);
        assertThat(registry.names()).containsExactly("default", "audit");
    }

    @Test
    void unknownStoreIsReportedWithTheKnownOnes() {
        assertThatExceptionOfType(NoSuchElementException.class)
            .isThrownBy(() -> StateStoreRegistry.of(this.main).store("archive"))
            .withMessage("No state store named 'archive'; the stores are [default]");
    }

    @Test
    void namesMustBeSimpleAndUnique() {
        assertThatIllegalArgumentException().isThrownBy(() -> StateStoreRegistry.of(this.main).with("a b", this.audit))
            .withMessageContaining("'a b' is not allowed");
        assertThatIllegalArgumentException().isThrownBy(() -> StateStoreRegistry.of(this.main).with("default", this.audit))
            .withMessageContaining("'default' is already taken");
    }
}
