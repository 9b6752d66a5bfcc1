package dev.quark.supervision;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Maps a child's failure to a {@link Directive}.
 * <pre>{@code
 * Decider decider = Decider.builder()
 *     .on(IllegalArgumentException.class, Directive.RESUME)
 *     .on(IOException.class, Directive.RESTART)
 *     .otherwise(Directive.ESCALATE);
 * }</pre>
 */
@FunctionalInterface
public interface Decider {

    /**
     * Decides what to do about a failure.
     * @param failure what the child's turn threw, or why its activation failed
     * @return the directive
     */
    Directive decide(Throwable failure);

    /**
     * Starts a decider that matches failures by type, first rule first.
     * @return a builder
     */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a {@link Decider} from type rules.
     */
    final class Builder {

        private final List<Rule> rules = new ArrayList<>();

        private Builder() {
        }

        /**
         * Adds a rule: failures of this type (or a subtype) get this directive, unless an earlier rule
         * matched.
         * @param type the failure type
         * @param directive the directive
         * @return this builder
         */
        public Builder on(Class<? extends Throwable> type, Directive directive) {
            this.rules.add(new Rule(Objects.requireNonNull(type, "type must not be null"),
                    Objects.requireNonNull(directive, "directive must not be null")));
            return this;
        }

        /**
         * Completes the decider with the directive for failures no rule matched.
         * @param directive the directive
         * @return the decider
         */
        public Decider otherwise(Directive directive) {
            Objects.requireNonNull(directive, "directive must not be null");
            List<Rule> ordered = List.copyOf(this.rules);
            return (failure) -> {
                for (Rule rule : ordered) {
                    if (rule.type().isInstance(failure)) {
                        return rule.directive();
                    }
                }
                return directive;
            };
        }

        private record Rule(Class<? extends Throwable> type, Directive directive) {
        }
    }
}
