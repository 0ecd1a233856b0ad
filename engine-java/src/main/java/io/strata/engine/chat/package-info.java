/**
 * Chat templates: {@link io.strata.engine.chat.ChatTemplate#load(java.nio.file.Path)} reads a
 * checkpoint's Jinja chat template and renders a list of {@link io.strata.engine.chat.ChatMessage}
 * to the prompt text the model was trained on, matching transformers' Jinja2 rendering.
 */
package io.strata.engine.chat;
