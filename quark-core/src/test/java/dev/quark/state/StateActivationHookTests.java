package dev.quark.state;

import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActivationException;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.ActorTypeView;
import dev.quark.state.memory.InMemoryStateStore;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

class StateActivationHookTests {

    private static final StateKey KEY = new StateKey("notebook", "n-1", "note");

    private final InMemoryStateStore store = new InMemoryStateStore();

    private final InMemoryStateStore archive = new InMemoryStateStore();

    @AutoClose
    private final ActorRuntime runtime = runtime(StateStoreRegistry.of(this.store).with("archive", this.archive));

    @Test
    void stateIsInjectedAndLoadedBeforeOnActivate() {
        this.store.save(KEY, "{\"text\":\"kept\"}", 0);
        Notebook notebook = this.runtime.get(Notebook.class, "n-1");
        assertThat(notebook.seenOnActivate()).isEqualTo("kept@1");
        assertThat(notebook.inTurn((state) -> state.key())).isEqualTo(KEY);
    }

    @Test
    void newStateHoldsNoValueUntilSetAndDoesNotExistUntilSaved() {
        Notebook notebook = this.runtime.get(Notebook.class, "n-1");
        assertThat(notebook.seenOnActivate()).isEqualTo("none@0");
        assertThat(notebook.inTurn((state) -> state.getOrElse(new Note("fallback")))).isEqualTo(new Note("fallback"));
        assertThatExceptionOfType(NoSuchElementException.class).isThrownBy(() -> notebook.inTurn(PersistentState::get))
            .withMessageContaining("State notebook/n-1/note holds no value");
        assertThatExceptionOfType(NoSuchElementException.class)
            .isThrownBy(() -> notebook.inTurn((state) -> state.update((note) -> note)));
        assertThatIllegalStateException().isThrownBy(() -> notebook.inTurn((state) -> {
            state.save();
            return null;
        })).withMessageContaining("holds no value to save");
        assertThat(notebook.inTurn((state) -> {
            state.set(new Note("draft"));
            return state.exists() + "@" + state.version() + ":" + state.get().text();
        })).isEqualTo("false@0:draft");
        assertThat(this.store.load(KEY)).isEmpty();
    }

    @Test
    void saveUpdateReloadAndClear() {
        Notebook notebook = this.runtime.get(Notebook.class, "n-1");
        assertThat(notebook.inTurn((state) -> {
            state.update(new Note(""), (note) -> note.append("a"));
            state.save();
            state.update((note) -> note.append("b"));
            state.save();
            return state.get().text() + "@" + state.version() + ":" + state.exists();
        })).isEqualTo("ab@2:true");
        assertThat(this.store.load(KEY)).contains(new StoredState("{\"text\":\"ab\"}", 2));
        assertThat(notebook.inTurn((state) -> {
            state.set(new Note("unsaved"));
            state.reload();
            return state.get().text();
        })).isEqualTo("ab");
        assertThat(notebook.inTurn((state) -> {
            state.clear();
            return state.exists() + "@" + state.version() + ":" + state.getOrElse(new Note("gone")).text();
        })).isEqualTo("false@0:gone");
        assertThat(this.store.load(KEY)).isEmpty();
    }

    @Test
    void staleSaveThrowsAndDropsTheUnsavedChange() {
        Notebook notebook = this.runtime.get(Notebook.class, "n-1");
        notebook.inTurn((state) -> {
            state.set(new Note("mine"));
            return null;
        });
        this.store.save(KEY, "{\"text\":\"theirs\"}", 0);
        ConcurrencyException conflict = catchThrowableOfType(ConcurrencyException.class, () -> notebook.inTurn((state) -> {
            state.save();
            return null;
        }));
        assertThat(conflict.getKey()).isEqualTo(KEY);
        assertThat(conflict).hasMessage("State notebook/n-1/note was changed concurrently: expected version 0, but the "
                + "store holds version 1; nothing was written");
        assertThat(notebook.inTurn((state) -> state.getOrElse(new Note("nothing")).text() + "@" + state.version()))
            .isEqualTo("nothing@0");
        assertThat(this.store.load(KEY)).contains(new StoredState("{\"text\":\"theirs\"}", 1));
        assertThat(notebook.inTurn((state) -> {
            state.reload();
            return state.get().text() + "@" + state.version();
        })).isEqualTo("theirs@1");
    }

    @Test
    void namedStoreKeepsItsStates() {
        Notebook notebook = this.runtime.get(Notebook.class, "n-1");
        notebook.archive("old");
        assertThat(this.archive.load(new StateKey("notebook", "n-1", "archived"))).contains(new StoredState("{\"text\":\"old\"}", 1));
        assertThat(this.store.load(new StateKey("notebook", "n-1", "archived"))).isEmpty();
    }

    @Test
    void storeFailureFailsTheActivationNamingStoreAndKeyAndTheNextCallTriesAgain() {
        FlakyStore flaky = new FlakyStore(this.store);
        try (ActorRuntime flakyRuntime = runtime(StateStoreRegistry.of(flaky).with("archive", this.archive))) {
            flaky.down.set(new IllegalStateException("connection refused"));
            ActivationException failure = catchThrowableOfType(ActivationException.class,
                    () -> flakyRuntime.get(Notebook.class, "n-1").seenOnActivate());
            assertThat(failure.getCause()).isInstanceOf(StateStoreException.class)
                .hasMessage("Could not load state notebook/n-1/note in store 'default': java.lang.IllegalStateException: "
                        + "connection refused");
            flaky.down.set(null);
            assertThat(flakyRuntime.get(Notebook.class, "n-1").seenOnActivate()).isEqualTo("none@0");
            Notebook notebook = flakyRuntime.get(Notebook.class, "n-1");
            notebook.inTurn((state) -> {
                state.set(new Note("saved"));
                state.save();
                return null;
            });
            flaky.down.set(new IllegalStateException("timeout"));
            assertThatExceptionOfType(StateStoreException.class).isThrownBy(() -> notebook.inTurn((state) -> {
                state.set(state.get().append(" and lost"));
                state.save();
                return null;
            })).withMessageStartingWith("Could not save state notebook/n-1/note in store 'default'");
            assertThat(notebook.inTurn((state) -> state.get().text() + "@" + state.version()))
                .as("the failed save's change is dropped")
                .isEqualTo("saved@1");
            flaky.down.set(null);
            assertThat(notebook.inTurn((state) -> {
                state.update((note) -> note.append(" again"));
                state.save();
                return state.get().text() + "@" + state.version();
            })).isEqualTo("saved again@2");
        }
    }

    @Test
    void valueThatCannotBeWrittenAsJsonIsReportedNamingTheKey() {
        Notebook notebook = this.runtime.get(Notebook.class, "n-1");
        assertThatExceptionOfType(StateSerializationException.class).isThrownBy(() -> notebook.inTurn((state) -> {
            state.set(new Note(null) {
                @Override
                public String text() {
                    throw new IllegalStateException("broken getter");
                }
            });
            state.save();
            return null;
        })).withMessageContaining("State notebook/n-1/note for store 'default' cannot be written as JSON");
        assertThat(this.store.load(KEY)).isEmpty();
    }

    @Test
    void stateOfAnEndedActivationCannotBeUsedAndTheNextActivationReloads() {
        AtomicReference<PersistentState<Note>> leaked = new AtomicReference<>();
        Notebook notebook = this.runtime.get(Notebook.class, "n-1");
        notebook.inTurn((state) -> {
            leaked.set(state);
            state.set(new Note("saved"));
            state.save();
            return null;
        });
        this.runtime.deactivate(Notebook.class, "n-1");
        await().atMost(Duration.ofSeconds(5)).until(() -> !this.runtime.isActive(Notebook.class, "n-1"));
        assertThatIllegalStateException().isThrownBy(() -> leaked.get().get())
            .withMessageContaining("belongs to an activation that has ended");
        assertThat(this.runtime.get(Notebook.class, "n-1").seenOnActivate()).isEqualTo("saved@1");
    }

    @Test
    void verifyRejectsAnUnknownStoreNamingFieldAndStore() {
        StateActivationHook hook = new StateActivationHook(StateStoreRegistry.of(this.store), new JsonStateSerializer());
        assertThatIllegalStateException().isThrownBy(() -> hook.verify(type("notebook", NotebookActor.class)))
            .withMessage("@ActorState field " + NotebookActor.class.getName() + ".archived refers to the state store "
                    + "'archive', which is not configured; the stores are [default] (add one with "
                    + "quark.persistence.stores.archive.backend)");
        try (ActorRuntime withoutArchive = runtime(StateStoreRegistry.of(this.store))) {
            ActivationException failure = catchThrowableOfType(ActivationException.class,
                    () -> withoutArchive.get(Notebook.class, "n-1").seenOnActivate());
            assertThat(failure.getCause()).hasMessageContaining(NotebookActor.class.getName() + ".archived")
                .hasMessageContaining("'archive'");
        }
    }

    @Test
    void verifyRejectsAnActorTypeNameThatCannotKeyState() {
        StateActivationHook hook = new StateActivationHook(StateStoreRegistry.of(this.store).with("archive", this.archive),
                new JsonStateSerializer());
        hook.verify(type("notebook", NotebookActor.class));
        assertThatIllegalStateException().isThrownBy(() -> hook.verify(type("note:book", NotebookActor.class)))
            .withMessageContaining("Actor type name 'note:book' cannot key persistent state");
    }

    private ActorRuntime runtime(StateStoreRegistry stores) {
        return ActorRuntime.builder()
            .actor(NotebookActor.class, NotebookActor::new)
            .activationHook(new StateActivationHook(stores, new JsonStateSerializer()))
            .build();
    }

    private static ActorTypeView type(String name, Class<?> implementation) {
        return new ActorTypeView() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Class<?> implementation() {
                return implementation;
            }

            @Override
            public java.util.List<Class<? extends Actor>> contracts() {
                return java.util.List.of(Notebook.class);
            }

            @Override
            public long activationCount() {
                return 0;
            }

            @Override
            public long queuedMessageCount() {
                return 0;
            }
        };
    }

    public interface Notebook extends Actor {

        Object inTurn(Function<PersistentState<Note>, Object> work);

        String seenOnActivate();

        void archive(String text);
    }

    public static class Note {

        private final String text;

        public Note(String text) {
            this.text = text;
        }

        public String text() {
            return this.text;
        }

        public String getText() {
            return text();
        }

        Note append(String more) {
            return new Note(this.text + more);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Note note && java.util.Objects.equals(note.text, this.text);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hashCode(this.text);
        }

        @Override
        public String toString() {
            return "Note[" + this.text + "]";
        }

        @com.fasterxml.jackson.annotation.JsonCreator
        static Note of(@com.fasterxml.jackson.annotation.JsonProperty("text") String text) {
            return new Note(text);
        }
    }

    @QuarkActor(name = "notebook")
    static class NotebookActor extends AbstractActor implements Notebook {

        @ActorState
        private PersistentState<Note> note;

        @ActorState(store = "archive")
        private PersistentState<Note> archived;

        private String seenOnActivate = "";

        @Override
        protected void onActivate() {
            this.seenOnActivate = this.note.getOrElse(new Note("none")).text() + "@" + this.note.version();
        }

        @Override
        public Object inTurn(Function<PersistentState<Note>, Object> work) {
            return work.apply(this.note);
        }

        @Override
        public String seenOnActivate() {
            return this.seenOnActivate;
        }

        @Override
        public void archive(String text) {
            this.archived.set(new Note(text));
            this.archived.save();
        }
    }

    static final class FlakyStore implements StateStore {

        final AtomicReference<RuntimeException> down = new AtomicReference<>();

        private final StateStore delegate;

        FlakyStore(StateStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<StoredState> load(StateKey key) {
            check();
            return this.delegate.load(key);
        }

        @Override
        public long save(StateKey key, String payload, long expectedVersion) {
            check();
            return this.delegate.save(key, payload, expectedVersion);
        }

        @Override
        public void delete(StateKey key, long expectedVersion) {
            check();
            this.delegate.delete(key, expectedVersion);
        }

        private void check() {
            RuntimeException failure = this.down.get();
            if (failure != null) {
                throw failure;
            }
        }
    }
}
