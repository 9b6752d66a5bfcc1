package dev.quark.autoconfigure.jobs;

import java.util.List;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code quark.jobs.context.mdc-keys} names at least one key, as a comma-separated value or a list.
 */
class OnMdcKeysCondition extends SpringBootCondition {

    private static final String PROPERTY = QuarkJobsProperties.PREFIX + ".context.mdc-keys";

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        List<String> keys = Binder.get(context.getEnvironment()).bind(PROPERTY, Bindable.listOf(String.class))
            .orElse(List.of());
        return keys.isEmpty() ? ConditionOutcome.noMatch(PROPERTY + " names no key")
                : ConditionOutcome.match(PROPERTY + " is " + keys);
    }
}
