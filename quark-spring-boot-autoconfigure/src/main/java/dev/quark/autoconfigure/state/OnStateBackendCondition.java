package dev.quark.autoconfigure.state;

import java.util.Map;

import dev.quark.autoconfigure.QuarkBackend;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The condition behind {@link ConditionalOnStateBackend}. Properties that do not bind leave it unmatched; the
 * properties beans then report them.
 */
class OnStateBackendCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        QuarkBackend backend = metadata.getAnnotations()
            .get(ConditionalOnStateBackend.class)
            .getEnum("value", QuarkBackend.class);
        Map<String, StateBackends.Choice> choices;
        try {
            choices = StateBackends.resolve(context.getEnvironment());
        }
        catch (BindException ex) {
            return ConditionOutcome.noMatch("quark.persistence properties do not bind: " + ex.getMessage());
        }
        for (Map.Entry<String, StateBackends.Choice> choice : choices.entrySet()) {
            if (choice.getValue().backend() == backend) {
                return ConditionOutcome.match("state store '" + choice.getKey() + "' uses " + choice.getValue().setting());
            }
        }
        return ConditionOutcome.noMatch("no state store uses the " + backend.propertyValue() + " backend");
    }
}
