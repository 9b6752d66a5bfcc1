package dev.quark.state;

import java.util.List;
import java.util.Map;

import dev.quark.state.internal.StateField;
import dev.quark.state.internal.StateFields;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class StateFieldsTests {

    @Test
    void namesDefaultToTheFieldAndStoresToTheDefaultStore() {
        List<StateField> fields = StateFields.of(Declared.class);
        assertThat(fields).extracting(StateField::name).containsExactly("profile", "history", "named-one");
        assertThat(fields).extracting(StateField::store).containsExactly("default", "default", "audit");
        assertThat(fields.get(0).valueType()).isEqualTo(Profile.class);
        assertThat(fields.get(1).valueType().getTypeName()).isEqualTo("java.util.List<" + Profile.class.getName() + ">");
        assertThat(fields.get(2).describe()).isEqualTo(Declared.class.getName() + ".third");
    }

    @Test
    void superclassStatesComeFirstAndTheScanIsKeptPerClass() {
        List<StateField> fields = StateFields.of(Derived.class);
        assertThat(fields).extracting(StateField::name).containsExactly("profile", "history", "named-one", "extra");
        assertThat(StateFields.of(Derived.class)).isSameAs(fields);
        assertThat(StateFields.of(String.class)).isEmpty();
    }

    @Test
    void invalidDeclarationsAreReportedNamingTheField() {
        assertThatIllegalStateException().isThrownBy(() -> StateFields.of(WrongType.class))
            .withMessage("@ActorState field " + WrongType.class.getName() + ".profile must be of type PersistentState<T>, not "
                    + Profile.class.getName());
        assertThatIllegalStateException().isThrownBy(() -> StateFields.of(Raw.class))
            .withMessageContaining(Raw.class.getName() + ".profile must declare a concrete value type");
        assertThatIllegalStateException().isThrownBy(() -> StateFields.of(Wildcard.class))
            .withMessageContaining(Wildcard.class.getName() + ".profile must declare a concrete value type");
        assertThatIllegalStateException().isThrownBy(() -> StateFields.of(Generic.class))
            .withMessageContaining(Generic.class.getName() + ".profile must declare a concrete value type");
        assertThatIllegalStateException().isThrownBy(() -> StateFields.of(Final.class))
            .withMessageContaining(Final.class.getName() + ".profile must not be final");
        assertThatIllegalStateException().isThrownBy(() -> StateFields.of(Static.class))
            .withMessageContaining(Static.class.getName() + ".profile must not be static");
        assertThatIllegalStateException().isThrownBy(() -> StateFields.of(BadName.class))
            .withMessageContaining(BadName.class.getName() + ".profile declares the state name 'a:b', which is not allowed");
        assertThatIllegalStateException().isThrownBy(() -> StateFields.of(Duplicate.class))
            .withMessageContaining(Duplicate.class.getName() + ".one")
            .withMessageContaining(Duplicate.class.getName() + ".two")
            .withMessageContaining("'same'");
    }

    record Profile(String name) {
    }

    static class Declared {

        @ActorState
        PersistentState<Profile> profile;

        @ActorState
        PersistentState<List<Profile>> history;

        @ActorState(name = "named-one", store = "audit")
        PersistentState<Map<String, Profile>> third;

        Object notAState;
    }

    static class Derived extends Declared {

        @ActorState
        PersistentState<int[]> extra;
    }

    static class WrongType {

        @ActorState
        Profile profile;
    }

    @SuppressWarnings("rawtypes")
    static class Raw {

        @ActorState
        PersistentState profile;
    }

    static class Wildcard {

        @ActorState
        PersistentState<? extends Profile> profile;
    }

    static class Generic<T> {

        @ActorState
        PersistentState<List<T>> profile;
    }

    static class Final {

        @ActorState
        final PersistentState<Profile> profile = null;
    }

    static class Static {

        @ActorState
        static PersistentState<Profile> profile;
    }

    static class BadName {

        @ActorState(name = "a:b")
        PersistentState<Profile> profile;
    }

    static class Duplicate {

        @ActorState(name = "same")
        PersistentState<Profile> one;

        @ActorState(name = "same")
        PersistentState<Profile> two;
    }
}
